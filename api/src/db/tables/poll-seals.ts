import type { ColumnType } from 'kysely'

/** The commitment published when a poll's ballots were sealed into their hash chain. */
export interface PollSealsTable {
  poll_id: string
  ballot_count: number
  /** The last entry's hash (or the genesis hash for a poll without ballots), hex. */
  chain_head: string
  sealed_at: ColumnType<Date, undefined, never>
}
