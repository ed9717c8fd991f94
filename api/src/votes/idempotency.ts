import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from 'node:crypto'
import type { Queryable } from '../db/database.ts'

/**
 * Idempotency-Key for votes, without a server-side link between voter and ballot.
 *
 * A keyed vote's participation row also holds a hash of voter + key and the receipt (`tracker`,
 * `optionId`) encrypted with AES-256-GCM under a key derived (HKDF-SHA256) from the client's
 * Idempotency-Key. The server keeps no copy of that key, so only a client that still has it can
 * make the row say anything: an operator reading the database sees that a voter voted (which the
 * row says anyway), not how. docs/decisions/009.
 */

/** Clients send a fresh random value per vote (a UUID is ideal): long enough not to be guessed. */
export const IDEMPOTENCY_KEY_PATTERN = /^[A-Za-z0-9_.:-]{16,128}$/

/**
 * What a keyed vote's participation row keeps, encrypted. Its column keeps the older name
 * `sealed_receipt`: renaming a column under a rolling deploy would break the tasks still running.
 * ("Seal" now means only the ballot chain's, ballots/seal.ts.)
 */
export interface StoredReceipt {
  tracker: string
  optionId: string
}

export function keyHash(voterSub: string, key: string): string {
  return createHash('sha256').update(voterSub).update('\0').update(key).digest('hex')
}

function receiptKey(voterSub: string, key: string): Buffer {
  return Buffer.from(hkdfSync('sha256', key, voterSub, 'votelab vote receipt v1', 32))
}

export function encryptReceipt(voterSub: string, key: string, receipt: StoredReceipt): string {
  const iv = randomBytes(12)
  const cipher = createCipheriv('aes-256-gcm', receiptKey(voterSub, key), iv)
  const body = Buffer.concat([cipher.update(JSON.stringify(receipt), 'utf8'), cipher.final()])
  return Buffer.concat([iv, body, cipher.getAuthTag()]).toString('base64url')
}

export function decryptReceipt(
  voterSub: string,
  key: string,
  encrypted: string,
): StoredReceipt | undefined {
  const raw = Buffer.from(encrypted, 'base64url')
  try {
    const decipher = createDecipheriv('aes-256-gcm', receiptKey(voterSub, key), raw.subarray(0, 12))
    decipher.setAuthTag(raw.subarray(raw.length - 16))
    const plain = Buffer.concat([
      decipher.update(raw.subarray(12, raw.length - 16)),
      decipher.final(),
    ])
    return JSON.parse(plain.toString('utf8')) as StoredReceipt
  } catch {
    return undefined
  }
}

export type Replay =
  | { kind: 'none' }
  | { kind: 'same'; receipt: { tracker: string; pollId: string; castAt: string } }
  | { kind: 'different_request' }

/**
 * For a vote the database refused as "already voted": was it this very request, sent before
 * with this key (answer with its receipt), the key used for another vote (422), or another
 * request altogether (409)?
 */
export async function findReplay(
  db: Queryable,
  request: { voterSub: string; key: string; pollId: string; optionId: string },
): Promise<Replay> {
  const row = await db
    .selectFrom('participation')
    .select(['key_hash', 'sealed_receipt'])
    .where('poll_id', '=', request.pollId)
    .where('voter_sub', '=', request.voterSub)
    .executeTakeFirst()
  if (!row?.key_hash || !row.sealed_receipt) return { kind: 'none' }
  if (row.key_hash !== keyHash(request.voterSub, request.key)) return { kind: 'none' }
  const stored = decryptReceipt(request.voterSub, request.key, row.sealed_receipt)
  if (!stored || stored.optionId !== request.optionId) return { kind: 'different_request' }
  const ballot = await db
    .selectFrom('ballots')
    .select('cast_at')
    .where('tracker', '=', stored.tracker)
    .executeTakeFirst()
  // Sealing erases cast times, but it clears the keys first: a sealed ballot is never replayed.
  if (!ballot?.cast_at) return { kind: 'none' }
  return {
    kind: 'same',
    receipt: {
      tracker: stored.tracker,
      pollId: request.pollId,
      castAt: new Date(ballot.cast_at).toISOString(),
    },
  }
}
