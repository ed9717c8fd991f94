import type { Queryable } from '../db/database.ts'
import { GENESIS_HASH, type BoardEntry } from '@votelab/ballot-chain'
import { readSealState, type Seal, type SealObserver } from './seal.ts'

export type BoardAccess =
  | { ok: true; seal: Seal }
  | { ok: false; reason: 'not_found' | 'not_closed' | 'not_published' | 'sealing' }

/**
 * Whether a poll's board can be read: it exists (drafts only for admins), it is closed (its
 * ballots are sealed, sealing it now if its closing time passed unnoticed), and it publishes.
 */
export async function openBoard(
  db: Queryable,
  pollId: string,
  admin: boolean,
  observer?: SealObserver,
): Promise<BoardAccess> {
  const poll = await readSealState(db, pollId, observer)
  if (!poll || (poll.status === 'draft' && !admin)) return { ok: false, reason: 'not_found' }
  if (poll.status !== 'closed') return { ok: false, reason: 'not_closed' }
  if (!poll.publishBallots) return { ok: false, reason: 'not_published' }
  const seal = poll.seal
  if (!seal) return { ok: false, reason: 'sealing' }
  return { ok: true, seal }
}

/** Entries after position `after`, in chain order: keyset paging on (poll_id, seq). */
export async function boardPage(
  db: Queryable,
  pollId: string,
  after: number,
  limit: number,
): Promise<BoardEntry[]> {
  const rows = await db
    .selectFrom('ballots')
    .select(['seq', 'tracker', 'option_id', 'entry_hash'])
    .where('poll_id', '=', pollId)
    .where('seq', '>', after)
    .orderBy('seq')
    .limit(limit)
    .execute()
  return rows.map((row) => ({
    seq: row.seq ?? 0,
    tracker: row.tracker,
    optionId: row.option_id,
    hash: row.entry_hash ?? '',
  }))
}

export interface LocatedBallot {
  ballot: BoardEntry & { optionLabel: string }
  /** The hash this entry links to: with it, the entry's own hash can be recomputed. */
  previousHash: string
}

/** One sealed ballot by its tracker, with what a voter needs to recompute its entry. */
export async function findBallot(
  db: Queryable,
  pollId: string,
  tracker: string,
): Promise<LocatedBallot | undefined> {
  const row = await db
    .selectFrom('ballots as b')
    .innerJoin('poll_options as o', 'o.id', 'b.option_id')
    .leftJoin('ballots as previous', (join) =>
      join
        .onRef('previous.poll_id', '=', 'b.poll_id')
        .on((eb) => eb('previous.seq', '=', eb('b.seq', '-', 1))),
    )
    .select([
      'b.seq',
      'b.tracker',
      'b.option_id',
      'b.entry_hash',
      'o.label',
      'previous.entry_hash as previous_hash',
    ])
    .where('b.poll_id', '=', pollId)
    .where('b.tracker', '=', tracker)
    .where('b.seq', 'is not', null)
    .executeTakeFirst()
  if (!row) return undefined
  return {
    ballot: {
      seq: row.seq ?? 0,
      tracker: row.tracker,
      optionId: row.option_id,
      optionLabel: row.label,
      hash: row.entry_hash ?? '',
    },
    previousHash: row.seq === 1 ? GENESIS_HASH : (row.previous_hash ?? ''),
  }
}
