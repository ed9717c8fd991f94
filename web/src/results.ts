import type { ResultsCounts } from '@votelab/api/results/schemas'
import type { Results } from './api.ts'
import { h, replace } from './dom.ts'
import { counted } from './words.ts'

/**
 * Result bars that update in place: fixed rows per option, widths and numbers change, nothing
 * moves (no layout shift). A polite live region announces totals without reading every bar.
 */
export function resultsView(initial: Results) {
  const rows = new Map<string, { bar: HTMLElement; count: HTMLElement }>()
  const list = h('ol', { class: 'bars' })
  for (const option of initial.options) {
    const bar = h('span', { class: 'fill' })
    const count = h('span', { class: 'count' })
    rows.set(option.optionId, { bar, count })
    list.append(
      h(
        'li',
        { 'data-option': option.optionId },
        h('span', { class: 'label' }, option.label),
        count,
        h('span', { class: 'track', 'aria-hidden': 'true' }, bar),
      ),
    )
  }
  const total = h('p', { class: 'total', 'aria-live': 'polite', 'aria-atomic': 'true' })
  const seal = h('p', { class: 'meta', 'data-testid': 'seal' })
  const element = h('section', { class: 'results', 'aria-label': 'Results' }, list, total, seal)

  function update(results: Results) {
    for (const option of results.options) {
      const row = rows.get(option.optionId)
      if (!row) continue
      if (option.votes === null) {
        row.bar.style.width = '0%'
        replace(row.count, '–')
        continue
      }
      const share = results.totalVotes ? option.votes / results.totalVotes : 0
      row.bar.style.width = `${(share * 100).toFixed(1)}%`
      replace(row.count, `${option.votes} · ${Math.round(share * 100)}%`)
    }
    const hidden = results.options.some((option) => option.votes === null)
    const { eligible } = results.turnout
    // Turnout against who may vote, where that is known (a voter list; a group, counted at close).
    const turnout =
      eligible === null
        ? ''
        : ` of ${eligible.toLocaleString()} eligible (${eligible ? Math.round((results.totalVotes / eligible) * 100) : 0}% turnout)`
    replace(
      total,
      `${counted(results.totalVotes, 'vote', 'votes')}${turnout}${results.status === 'closed' ? ' · final' : ''}${hidden ? ' cast · the tally is shown when the poll closes' : ''}`,
    )
    // The commitment anyone can check the board against (pages/check.ts, pnpm audit:poll).
    if (results.chain) {
      replace(
        seal,
        `Sealed: ${counted(results.chain.length, 'ballot', 'ballots')} in a hash chain ending in `,
        h('code', {}, results.chain.head),
      )
    }
  }
  update(initial)
  return { element, update }
}

type ConnectionState = 'connecting' | 'live' | 'reconnecting'

/**
 * Follows a poll's results stream. EventSource retries on its own but without backoff, so this
 * reconnects itself: 1 s, 2 s, 4 s … up to 30 s, reset once an event arrives.
 */
export function followResults(
  url: string,
  onResults: (results: Results) => void,
  onState: (state: ConnectionState) => void,
) {
  let source: EventSource | undefined
  let attempt = 0
  let timer: number | undefined
  let stopped = false

  function connect() {
    onState(attempt === 0 ? 'connecting' : 'reconnecting')
    source = new EventSource(url)
    // The last full snapshot: `counts` events (the stream URL asks for them) carry only the
    // numbers, in the order of its options; a full `results` event comes whenever anything else
    // changes, and first on every connection.
    let latest: Results | undefined
    source.addEventListener('results', (event) => {
      attempt = 0
      onState('live')
      latest = JSON.parse((event as MessageEvent<string>).data) as Results
      onResults(latest)
    })
    source.addEventListener('counts', (event) => {
      if (!latest) return
      const counts = JSON.parse((event as MessageEvent<string>).data) as ResultsCounts
      latest = {
        ...latest,
        totalVotes: counts.totalVotes,
        asOf: counts.asOf,
        turnout: { ...latest.turnout, ballots: counts.ballots },
        options: latest.options.map((option, i) => ({ ...option, votes: counts.votes[i] ?? null })),
      }
      onResults(latest)
    })
    source.onerror = () => {
      source?.close()
      if (stopped) return
      onState('reconnecting')
      const delay = Math.min(30_000, 1000 * 2 ** attempt)
      attempt += 1
      timer = window.setTimeout(connect, delay)
    }
  }
  connect()
  return () => {
    stopped = true
    window.clearTimeout(timer)
    source?.close()
  }
}
