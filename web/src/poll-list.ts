import { ApiError, type PollSummary } from './api.ts'
import type { AppContext } from './app-context.ts'
import { h, notice } from './dom.ts'

type Status = 'draft' | 'open' | 'closed'

const PAGE = '20'

/** One page of polls; `after` is the cursor of the page before (from its `next`). */
async function fetchPage(ctx: AppContext, status: Status | undefined, after?: string) {
  const query: { status?: Status; limit: string; after?: string } = { limit: PAGE }
  if (status) query.status = status
  if (after) query.after = after
  const page = await ctx.api.read(ctx.api.client.api.polls.$get({ query }))
  const next = page.next
    ? (new URL(page.next, location.origin).searchParams.get('after') ?? undefined)
    : undefined
  return { polls: page.polls, next }
}

/**
 * A list of polls that grows a page at a time: the first page at once, then a "Show more" button
 * while the API says more follow. Throws (ApiError) when the first page cannot be loaded.
 */
export async function pagedPollList(
  ctx: AppContext,
  status: Status | undefined,
  render: (poll: PollSummary) => HTMLElement,
  empty: string,
): Promise<HTMLElement> {
  const first = await fetchPage(ctx, status)
  if (first.polls.length === 0) return h('p', {}, empty)
  const list = h('ul', { class: 'cards' }, ...first.polls.map(render))
  const container = h('div', {}, list)
  let cursor = first.next
  if (!cursor) return container

  const more = h('button', { type: 'button', class: 'secondary more' }, 'Show more')
  const problem = h('div', { 'aria-live': 'polite' })
  more.addEventListener('click', () => {
    more.setAttribute('disabled', '')
    fetchPage(ctx, status, cursor).then(
      (page) => {
        const items = page.polls.map(render)
        list.append(...items)
        // Keyboard users continue from the first new poll, not from a button that moved.
        items[0]?.querySelector('a')?.focus()
        cursor = page.next
        if (cursor) more.removeAttribute('disabled')
        else more.remove()
      },
      (error: unknown) => {
        more.removeAttribute('disabled')
        problem.replaceChildren(
          notice(error instanceof ApiError ? error.message : 'Could not load more polls.', 'error'),
        )
      },
    )
  })
  container.append(more, problem)
  return container
}

/** Every poll in `status`, up to `maxPages` pages (for a picker that needs them all at once). */
export async function allPolls(
  ctx: AppContext,
  status: Status,
  maxPages = 10,
): Promise<PollSummary[]> {
  const polls: PollSummary[] = []
  let cursor: string | undefined
  for (let page = 0; page < maxPages; page++) {
    const result = await fetchPage(ctx, status, cursor)
    polls.push(...result.polls)
    cursor = result.next
    if (!cursor) break
  }
  return polls
}
