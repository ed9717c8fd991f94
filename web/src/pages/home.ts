import { ApiError, type PollSummary } from '../api.ts'
import type { AppContext } from '../app-context.ts'
import { h, notice, replace } from '../dom.ts'
import { pagedPollList } from '../poll-list.ts'
import { outcome } from '../outcome.ts'
import { counted } from '../words.ts'

function pollCard(poll: PollSummary) {
  return h(
    'li',
    { class: 'card' },
    h('h3', {}, h('a', { href: `/polls/${poll.id}`, 'data-link': true }, poll.title)),
    poll.description ? h('p', {}, poll.description) : null,
    poll.status === 'closed' ? h('p', { 'data-testid': 'outcome' }, outcome(poll)) : null,
    h(
      'p',
      { class: 'meta' },
      `${counted(poll.options.length, 'option', 'options')} · ${counted(poll.totalVotes, 'vote', 'votes')}`,
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
