import type { Generated } from 'kysely'

export interface PollOptionsTable {
  id: Generated<string>
  poll_id: string
  label: string
  position: number
  /** The votes sealed for this option when the poll closed: the published tally. */
  final_votes: Generated<number | null>
}
