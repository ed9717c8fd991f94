import type { ColumnType } from 'kysely'

/**
 * Who has voted in which poll: the only table that holds a voter's identity.
 * It says nothing about how they voted and carries no time, so it cannot be joined to a ballot.
 */
export interface ParticipationTable {
  poll_id: string
  voter_sub: string
  /**
   * With an Idempotency-Key: SHA-256 of voter and key (hex), and the receipt (`tracker`,
   * `optionId`) sealed with AES-256-GCM under a key derived from the client's key, which the
   * server never stores. Cleared when the poll closes.
   */
  key_hash: string | null
  sealed_receipt: string | null
  /** On a roll poll, the roll's mailbox that voted: one vote per mailbox, whatever the accounts. */
  mailbox: ColumnType<string | null, string | null | undefined, never>
}
