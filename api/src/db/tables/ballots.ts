import type { ColumnType } from 'kysely'

/**
 * A secret ballot: what was chosen and a receipt tracker, never who chose it. Keyed by the
 * tracker: a counter would number ballots in the order they were cast.
 */
export interface BallotsTable {
  /** 128 random bits, hex: the voter's receipt. */
  tracker: string
  poll_id: string
  option_id: string
  /** Only while the poll is open (idempotent replays show it); sealing erases it. */
  cast_at: ColumnType<Date | null, never, null>
  /** Place in the poll's ballot chain (1…n, by tracker); set when the poll is sealed. */
  seq: number | null
  /** SHA-256 of the chain entry, hex; set when the poll is sealed. */
  entry_hash: string | null
}
