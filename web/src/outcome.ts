import type { PollSummary } from './api.ts'
import { counted } from './words.ts'

const list = new Intl.ListFormat('en', { type: 'conjunction' })

/** A closed poll's final result in one line: who won, by how much, or who tied. */
export function outcome(poll: Pick<PollSummary, 'options' | 'totalVotes'>): string {
  const counts = poll.options.filter((option) => option.votes !== undefined)
  if (counts.length === 0) return 'Closed: the final count is being sealed.'
  if (poll.totalVotes === 0) return 'Closed with no votes.'
  const most = Math.max(...counts.map((option) => option.votes ?? 0))
  const leaders = counts.filter((option) => option.votes === most)
  const share = `${counted(most, 'vote', 'votes')} of ${poll.totalVotes.toLocaleString('en')} (${Math.round((most / poll.totalVotes) * 100)}%)`
  if (leaders.length === 1) return `Won by “${leaders[0]?.label ?? ''}” with ${share}.`
  const names = leaders.map((option) => `“${option.label}”`)
  return `Tied: ${list.format(names)}, with ${share} each.`
}
