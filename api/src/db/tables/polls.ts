import type { ColumnType, Generated } from 'kysely'

export type PollStatus = 'draft' | 'open' | 'closed'

export interface PollsTable {
  id: Generated<string>
  title: string
  description: string
  status: ColumnType<PollStatus, PollStatus | undefined, PollStatus>
  opens_at: Date | null
  closes_at: Date | null
  /** Whether the sealed ballots go on the public board (see docs/verifiable-ballots.md for the trade-off). */
  publish_ballots: Generated<boolean>
  created_by: string
  created_at: Generated<Date>
  updated_at: Generated<Date>
}
