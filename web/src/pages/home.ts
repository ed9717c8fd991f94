import { ApiError, type PollSummary } from '../api.ts'
import type { AppContext } from '../app-context.ts'
import { h, notice, replace } from '../dom.ts'
import { pagedPollList } from '../poll-list.ts'

function pollCard(poll: PollSummary) {
  return h(
    'li',
    { class: 'card' },
    h('h3', {}, h('a', { href: `/polls/${poll.id}`, 'data-link': true }, poll.title)),
    poll.description ? h('p', {}, poll.description) : null,
    h(
      'p',
      { class: 'meta' },
      `${poll.options.length} options · ${poll.totalVotes} ${poll.totalVotes === 1 ? 'vote' : 'votes'}`,
    ),
  )
}

export async function homePage(main: HTMLElement, ctx: AppContext): Promise<void> {
  main.replaceChildren(h('h1', {}, 'Polls'), notice('Loading polls…'))
  try {
    const [open, closed] = await Promise.all([
      pagedPollList(ctx, 'open', pollCard, 'No poll is open right now.'),
      pagedPollList(ctx, 'closed', pollCard, 'No closed polls yet.'),
    ])
    replace(
      main,
      h('h1', {}, 'Polls'),
      h('h2', {}, 'Open now'),
      open,
      h('h2', {}, 'Closed'),
      closed,
    )
  } catch (error) {
    main.replaceChildren(
      h('h1', {}, 'Polls'),
      notice(error instanceof ApiError ? error.message : 'Could not load polls.', 'error'),
    )
  }
}
