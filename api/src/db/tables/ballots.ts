import type { Generated } from 'kysely'

/** A secret ballot: what was chosen and a receipt tracker, never who chose it. */
export interface BallotsTable {
  id: Generated<string>
  poll_id: string
  option_id: string
  /** 128 random bits, hex: the voter's receipt. */
  tracker: string
  cast_at: Generated<Date>
}
