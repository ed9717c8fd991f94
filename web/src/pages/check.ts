import {
  ChainVerifier,
  publishedChain,
  type BoardEntry,
  type ChainReport,
} from '@votelab/ballot-chain'
import { ApiError, type BoardPage, type PollSummary, type Results } from '../api.ts'
import type { AppContext } from '../app-context.ts'
import { counted, when } from '../words.ts'
import { h, notice, replace } from '../dom.ts'
import { allPolls } from '../poll-list.ts'
import { savedReceipt } from '../receipts.ts'
import { isUuid, notFoundPage } from './not-found.ts'

const TRACKER = /^[0-9a-f]{32}$/
const PAGE_SIZE = 1000

interface CheckOutcome {
  report: ChainReport
  found: BoardEntry | undefined
}

/**
 * Downloads the whole board and checks it here, in the browser: every entry's hash, the head
 * against the one the results published, the recount against the tally. The tracker never leaves
 * the page: the server cannot tell whose ballot was looked up.
 */
async function checkBoard(
  ctx: AppContext,
  poll: PollSummary,
  results: Results,
  chain: NonNullable<Results['chain']>,
  tracker: string,
  progress: (checked: number) => void,
): Promise<CheckOutcome> {
  const verifier = new ChainVerifier(
    poll.id,
    poll.options.map((option) => option.id),
  )
  let found: BoardEntry | undefined
  let after = 0
  for (;;) {
    const page = (await ctx.api.read(
      ctx.api.client.api.polls[':pollId'].ballots.$get({
        param: { pollId: poll.id },
        query: { after: String(after), limit: String(PAGE_SIZE), format: 'json' },
      }),
    )) as BoardPage
    for (const entry of page.ballots) {
      await verifier.add(entry)
      if (entry.tracker === tracker) found = entry
    }
    const last = page.ballots.at(-1)
    progress(last?.seq ?? after)
    if (!page.next || !last) break
    after = last.seq
  }
  // A sealed poll always shows its tally (votes are null only while an after_close poll is open).
  const tally = results.options.map(({ optionId, votes }) => ({ optionId, votes: votes ?? 0 }))
  const report = verifier.finish(publishedChain(chain, tally))
  return { report, found }
}

function outcomeView(
  poll: PollSummary,
  chain: { head: string; length: number },
  outcome: CheckOutcome,
) {
  const { report, found } = outcome
  const label = poll.options.find((option) => option.id === found?.optionId)?.label
  return h(
    'section',
    { class: 'check-result', 'aria-labelledby': 'check-result-title' },
    found
      ? h(
          'div',
          { class: 'found', 'data-testid': 'found' },
          h('h2', { id: 'check-result-title' }, 'Your ballot is on the board'),
          h(
            'p',
            {},
            `Recorded for “${label ?? found.optionId}”, entry #${String(found.seq)} of ${String(report.entries)}.`,
          ),
        )
      : h(
          'div',
          { class: 'not-found', 'data-testid': 'not-found' },
          h('h2', { id: 'check-result-title' }, 'No ballot with this tracker'),
          h(
            'p',
            {},
            `${report.entries === 1 ? 'The one ballot of this poll does not have' : `None of the ${counted(report.entries, 'ballot', 'ballots')} of this poll has`} that tracker. Check you copied it from the receipt of this poll.`,
          ),
        ),
    report.ok
      ? h(
          'p',
          { class: 'verified', 'data-testid': 'chain-verified' },
          `✓ Chain verified in your browser: ${report.entries === 1 ? 'its one entry links' : `all ${counted(report.entries, 'entry', 'entries')} link`} up to the published head, and a recount gives the published results.`,
        )
      : h(
          'div',
          { class: 'notice error', role: 'alert', 'data-testid': 'chain-broken' },
          h('p', {}, '✗ The board does not match what this poll published:'),
          h(
            'ul',
            {},
            ...report.problems.map((problem) => h('li', {}, problem.message)),
            report.moreProblems ? h('li', {}, `… and ${String(report.moreProblems)} more`) : null,
          ),
        ),
    h('p', { class: 'meta' }, 'Published head '),
    h('p', {}, h('code', { class: 'tracker', 'data-testid': 'head' }, chain.head)),
    h(
      'p',
      { class: 'meta' },
      'Keep this head: if the board ever changes, it will no longer end in it. Anyone can repeat this check with ',
      h('code', {}, `pnpm audit:poll ${location.origin} ${poll.id} --head ${chain.head}`),
      '.',
    ),
  )
}

/** The receipt's link while the poll is open: when its board will exist, and the way back. */
function notClosedYet(poll: PollSummary) {
  const closes = poll.closesAt ? ` It is set to close ${when(poll.closesAt)}.` : ''
  return h(
    'div',
    { class: 'notice info', role: 'status', 'data-testid': 'not-closed-yet' },
    h(
      'p',
      {},
      `“${poll.title}” is ${poll.status === 'draft' ? 'not open yet' : 'still open for voting'}. Its ballots are published as a board you can check your tracker against once it closes.${closes} Keep your receipt until then.`,
    ),
    h('p', {}, h('a', { href: `/polls/${poll.id}`, 'data-link': true }, '← Back to the poll')),
  )
}

/** "Check my ballot": a poll (closed ones), a tracker, and the verdict computed here. */
export async function checkPage(
  main: HTMLElement,
  ctx: AppContext,
  pollId?: string,
): Promise<void> {
  if (pollId !== undefined && !isUuid(pollId)) {
    notFoundPage(main, 'poll')
    return
  }
  main.replaceChildren(h('h1', {}, 'Check my ballot'), notice('Loading closed polls…'))
  let polls: PollSummary[]
  let notYet: HTMLElement | null = null
  try {
    polls = await allPolls(ctx, 'closed')
    // A poll named in the address but not among the closed ones: still open, or older, or none.
    if (pollId && !polls.some((poll) => poll.id === pollId)) {
      const poll = await ctx.api.read(
        ctx.api.client.api.polls[':pollId'].$get({ param: { pollId } }),
      )
      if (poll.status === 'closed') polls.unshift(poll)
      else notYet = notClosedYet(poll)
    }
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) {
      notFoundPage(main, 'poll')
      return
    }
    main.replaceChildren(
      h('h1', {}, 'Check my ballot'),
      notice(error instanceof ApiError ? error.message : 'Could not load polls.', 'error'),
    )
    return
  }

  const select = h(
    'select',
    { id: 'check-poll', name: 'poll', required: true },
    h('option', { value: '' }, 'Choose a closed poll'),
    ...polls.map((poll) =>
      h('option', { value: poll.id, selected: poll.id === pollId }, poll.title),
    ),
  )
  const input = h('input', {
    id: 'check-tracker',
    name: 'tracker',
    required: true,
    autocomplete: 'off',
    spellcheck: 'false',
    placeholder: '32 characters, 0–9 and a–f',
  })
  // The receipt this browser kept for the poll, if any (it never travels in a URL).
  const prefill = () => {
    const receipt = select.value ? savedReceipt(select.value) : undefined
    if (receipt && !input.value) input.value = receipt.tracker
  }
  select.addEventListener('change', prefill)
  prefill()

  const submit = h('button', { type: 'submit' }, 'Check')
  const status = h('div', { 'aria-live': 'polite' })
  const result = h('div')
  const form = h(
    'form',
    { class: 'check-form' },
    h('label', { for: 'check-poll' }, 'Poll'),
    select,
    h('label', { for: 'check-tracker' }, 'Receipt tracker'),
    input,
    submit,
  )
  replace(
    main,
    h('h1', {}, 'Check my ballot'),
    h(
      'p',
      { class: 'lead' },
      'After a poll closes, its ballots are published as a hash chain: each entry commits to the one before, and the last one — the head — is published with the results. Your browser downloads the board, recomputes every hash and the tally, and looks for your tracker without sending it anywhere.',
    ),
    notYet,
    form,
    status,
    result,
  )

  form.addEventListener('submit', (event) => {
    event.preventDefault()
    const tracker = input.value.trim().toLowerCase()
    const poll = polls.find((candidate) => candidate.id === select.value)
    result.replaceChildren()
    if (!poll) {
      replace(status, notice('Choose the poll you voted in.', 'error'))
      return
    }
    if (!TRACKER.test(tracker)) {
      replace(
        status,
        notice(
          'A tracker is 32 characters, digits 0–9 and letters a–f, as on your receipt.',
          'error',
        ),
      )
      return
    }
    submit.disabled = true
    replace(status, notice('Downloading the board…'))
    void (async () => {
      try {
        const results = await ctx.api.read(
          ctx.api.client.api.polls[':pollId'].results.$get({ param: { pollId: poll.id } }),
        )
        const chain = results.chain
        if (!chain) {
          replace(
            status,
            notice(
              results.status === 'closed'
                ? 'The ballots of this poll are being sealed right now. Try again in a moment.'
                : 'This poll is not closed yet: ballots are published when it closes.',
            ),
          )
          return
        }
        if (!chain.published) {
          replace(
            status,
            notice(
              `This poll does not publish its ballots, so a tracker cannot be checked. It sealed ${counted(chain.length, 'ballot', 'ballots')} under the head ${chain.head}.`,
            ),
          )
          return
        }
        const outcome = await checkBoard(ctx, poll, results, chain, tracker, (checked) => {
          replace(status, notice(`Checked ${String(checked)} of ${String(chain.length)} ballots…`))
        })
        status.replaceChildren()
        result.replaceChildren(outcomeView(poll, chain, outcome))
        // Screen readers hear the verdict: focus moves to its heading, as it does to a receipt.
        const heading = result.querySelector('h2')
        heading?.setAttribute('tabindex', '-1')
        heading?.focus()
      } catch (error) {
        replace(
          status,
          notice(
            error instanceof ApiError ? error.message : 'The check could not finish. Try again.',
            'error',
          ),
        )
      } finally {
        submit.disabled = false
      }
    })()
  })
}
