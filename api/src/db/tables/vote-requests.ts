/**
 * A vote sent with an Idempotency-Key: enough to answer a retry with the same receipt, and
 * nothing an operator can read a choice from (the receipt is sealed with the client's key).
 */
export interface VoteRequestsTable {
  voter_sub: string
  /** SHA-256 of the voter and the Idempotency-Key, hex: finds the row, reveals neither. */
  key_hash: string
  poll_id: string
  /** AES-256-GCM of `{ tracker, optionId }` under a key derived from the Idempotency-Key. */
  sealed_receipt: string
}
