import { createHash } from 'node:crypto'
import { sql, type Transaction } from 'kysely'
import type { Database, PollStatus, Queryable, ResultsVisibility } from '../db/database.ts'
import { POLL_CHANGED_CHANNEL, effectiveStatus, pollTiming } from '../db/poll-status.ts'
import { CHAIN_FORMAT, GENESIS_HASH, entryBytes } from '@votelab/ballot-chain'

export interface Seal {
  ballotCount: number
  chainHead: string
  sealedAt: Date
}

/** Told of each seal made (not of one found already made): the seal metrics. */
export interface SealObserver {
  sealed(ballots: number, seconds: number): void
}

/** Ballots are rewritten in slices this big: one statement each, bounded parameter arrays. */
const UPDATE_SLICE = 5_000

const sha256Hex = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex')

/**
 * Seals a closed poll's ballots into its hash chain, once: orders them by tracker, numbers them
 * 1…n, hashes each over the previous (chain.ts), fixes the tally, and publishes the head. The
 * poll's row lock (FOR UPDATE) waits for any vote batch still holding the poll (FOR SHARE), so
 * every ballot that was acknowledged is in the chain, and two callers never seal twice.
 *
 * Rewriting every ballot row also erases what tied it to its moment: the cast time goes, and the
 * new row versions all carry this transaction's id instead of the vote batch's, which the voter's
 * participation row shares (docs/decisions/010).
 *
 * Returns undefined for a poll that does not exist or is not closed. With `waitForLock: false`
 * it fails at once (Postgres error 55P03) instead of waiting when the poll's row is locked.
 */
export async function sealPoll(
  trx: Transaction<Database>,
  pollId: string,
  { waitForLock = true, observer }: { waitForLock?: boolean; observer?: SealObserver } = {},
): Promise<Seal | undefined> {
  const locking = trx
    .selectFrom('polls')
    .select((eb) => ['polls.id', effectiveStatus(pollTiming(eb)).as('status')])
    .where('polls.id', '=', pollId)
    .forUpdate()
  const poll = await (waitForLock ? locking : locking.noWait()).executeTakeFirst()
  if (poll?.status !== 'closed') return undefined
  const existing = await findSeal(trx, pollId)
  if (existing) return existing
  const started = performance.now()
  // Each statement here touches every ballot of the poll: a big poll's seal may take longer than
  // the pool's per-statement limit for requests, so it gets its own (operations.md has numbers).
  await sql`set local statement_timeout = '120s'`.execute(trx)

  const ballots = await trx
    .selectFrom('ballots')
    .select(['tracker', 'option_id'])
    .where('poll_id', '=', pollId)
    .execute()
  // Trackers are random: their order says nothing about when anyone voted. (Sorted here rather
  // than in SQL, where a collation could order text differently from bytes.)
  ballots.sort((a, b) => (a.tracker < b.tracker ? -1 : a.tracker > b.tracker ? 1 : 0))

  let head = GENESIS_HASH
  const hashes = ballots.map((ballot, index) => {
    head = sha256Hex(entryBytes(head, pollId, index + 1, ballot.option_id, ballot.tracker))
    return head
  })
  for (let start = 0; start < ballots.length; start += UPDATE_SLICE) {
    const slice = ballots.slice(start, start + UPDATE_SLICE)
    await sql`
      update ballots
      set seq = sealed.seq, entry_hash = sealed.hash, cast_at = null
      from unnest(
        ${slice.map((ballot) => ballot.tracker)}::text[],
        ${slice.map((_, i) => start + i + 1)}::int[],
        ${hashes.slice(start, start + UPDATE_SLICE)}::text[]
      ) as sealed (tracker, seq, hash)
      where ballots.tracker = sealed.tracker`.execute(trx)
  }

  const votes = new Map<string, number>()
  for (const ballot of ballots) votes.set(ballot.option_id, (votes.get(ballot.option_id) ?? 0) + 1)
  await sql`
    update poll_options
    set final_votes = coalesce((
      select counted.votes
      from unnest(${[...votes.keys()]}::uuid[], ${[...votes.values()]}::int[])
        as counted (option_id, votes)
      where counted.option_id = poll_options.id), 0)
    where poll_id = ${pollId}`.execute(trx)

  // A poll closed by its closing time is still 'open' in its row until now.
  await trx
    .updateTable('polls')
    .set({ status: 'closed', updated_at: sql<Date>`now()` })
    .where('id', '=', pollId)
    .where('status', '=', 'open')
    .execute()
  // Retries cannot cast into a closed poll: the sealed receipts have served their purpose.
  await trx
    .updateTable('participation')
    .set({ key_hash: null, sealed_receipt: null })
    .where('poll_id', '=', pollId)
    .where('key_hash', 'is not', null)
    .execute()
  const seal = await trx
    .insertInto('poll_seals')
    .values({ poll_id: pollId, ballot_count: ballots.length, chain_head: head })
    .returning(['ballot_count', 'chain_head', 'sealed_at'])
    .executeTakeFirstOrThrow()
  await sql`select pg_notify(${POLL_CHANGED_CHANNEL}, ${pollId})`.execute(trx)
  // Until here, not the commit: a rolled-back seal is counted (it did the work) but rare.
  observer?.sealed(ballots.length, (performance.now() - started) / 1000)
  return { ballotCount: seal.ballot_count, chainHead: seal.chain_head, sealedAt: seal.sealed_at }
}

async function findSeal(db: Queryable, pollId: string): Promise<Seal | undefined> {
  const row = await db
    .selectFrom('poll_seals')
    .select(['ballot_count', 'chain_head', 'sealed_at'])
    .where('poll_id', '=', pollId)
    .executeTakeFirst()
  return (
    row && { ballotCount: row.ballot_count, chainHead: row.chain_head, sealedAt: row.sealed_at }
  )
}

/** How results and the board state a seal: the format, the head, the count, when. */
export function publicChain(seal: Seal): {
  format: typeof CHAIN_FORMAT
  head: string
  length: number
  sealedAt: string
} {
  return {
    format: CHAIN_FORMAT,
    head: seal.chainHead,
    length: seal.ballotCount,
    sealedAt: new Date(seal.sealedAt).toISOString(),
  }
}

export interface SealState {
  status: PollStatus
  publishBallots: boolean
  resultsVisibility: ResultsVisibility
  /** Voters who may vote: a roll's size, a group's at close; null when not counted. */
  eligible: number | null
  /** Undefined while the poll is not closed, or while another request is sealing it. */
  seal: Seal | undefined
  asOf: Date
}

/**
 * A poll's status and seal in one query; a closed poll nobody has sealed yet (it closed by its
 * closing time) is sealed now, by the first read that needs its chain. Readers do not queue up
 * behind a seal in progress (each would hold a pooled connection meanwhile): they get no seal and
 * retry.
 */
export async function readSealState(
  db: Queryable,
  pollId: string,
  observer?: SealObserver,
): Promise<SealState | undefined> {
  const row = await db
    .selectFrom('polls')
    .leftJoin('poll_seals', 'poll_seals.poll_id', 'polls.id')
    .select((eb) => [
      effectiveStatus(pollTiming(eb)).as('status'),
      'polls.publish_ballots',
      'polls.results_visibility',
      // Eligible voters: a roll's size (fixed once open), or a group's as counted at the close.
      sql<number | null>`case polls.eligibility
        when 'roll' then (select count(*)::int from poll_roll where poll_roll.poll_id = polls.id)
        when 'group' then polls.eligible_at_close
      end`.as('eligible'),
      'poll_seals.ballot_count',
      'poll_seals.chain_head',
      'poll_seals.sealed_at',
      sql<Date>`now()`.as('as_of'),
    ])
    .where('polls.id', '=', pollId)
    .executeTakeFirst()
  if (!row) return undefined
  const seal =
    row.chain_head !== null && row.ballot_count !== null && row.sealed_at !== null
      ? { ballotCount: row.ballot_count, chainHead: row.chain_head, sealedAt: row.sealed_at }
      : row.status === 'closed'
        ? await sealNow(db, pollId, observer)
        : undefined
  return {
    status: row.status,
    publishBallots: row.publish_ballots,
    resultsVisibility: row.results_visibility,
    eligible: row.eligible,
    seal,
    asOf: row.as_of,
  }
}

async function sealNow(
  db: Queryable,
  pollId: string,
  observer: SealObserver | undefined,
): Promise<Seal | undefined> {
  if (db.isTransaction) return sealPoll(db as Transaction<Database>, pollId, { observer })
  try {
    return await db
      .transaction()
      .execute((trx) => sealPoll(trx, pollId, { waitForLock: false, observer }))
  } catch (error) {
    if ((error as { code?: unknown }).code === LOCK_NOT_AVAILABLE) return undefined
    throw error
  }
}

const LOCK_NOT_AVAILABLE = '55P03'
