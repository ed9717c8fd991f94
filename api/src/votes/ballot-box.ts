import { randomBytes, randomInt } from 'node:crypto'
import { sql } from 'kysely'
import type { Logger } from 'pino'
import type { Db, Queryable } from '../db/database.ts'
import { POLL_CHANGED_CHANNEL, acceptingVotes } from '../polls/repository.ts'

export interface VoteRequest {
  pollId: string
  optionId: string
  voterSub: string
}

export interface Receipt {
  tracker: string
  pollId: string
  castAt: string
}

export type VoteOutcome =
  | { ok: true; receipt: Receipt }
  | { ok: false; reason: 'poll_not_found' | 'poll_not_open' | 'option_not_found' | 'already_voted' }

interface Pending extends VoteRequest {
  resolve: (outcome: VoteOutcome) => void
  reject: (error: unknown) => void
}

export interface BallotBoxOptions {
  /** Most votes committed in one transaction. */
  maxBatch?: number
  /** Transactions in flight at once; more requests wait and join the next batch. */
  maxInFlight?: number
}

/**
 * Casts votes with group commit: requests that arrive while a transaction is running wait and
 * are written together in the next one. A busy poll then costs one commit per batch instead of
 * one per vote, and a quiet one waits for nothing (a lone vote is flushed at once).
 *
 * Each vote is counted exactly once or not at all: its participation row and ballot row are
 * written in the same transaction, and the caller hears "ok" only after that commit.
 */
export class BallotBox {
  private readonly db: Db
  private readonly logger: Logger
  private readonly maxBatch: number
  private readonly maxInFlight: number
  private queue: Pending[] = []
  private inFlight = 0
  private readonly idleWaiters: (() => void)[] = []

  constructor(db: Db, logger: Logger, options: BallotBoxOptions = {}) {
    this.db = db
    this.logger = logger
    this.maxBatch = options.maxBatch ?? 500
    this.maxInFlight = options.maxInFlight ?? 2
  }

  cast(request: VoteRequest): Promise<VoteOutcome> {
    return new Promise((resolve, reject) => {
      this.queue.push({ ...request, resolve, reject })
      this.pump()
    })
  }

  /** Resolves once every vote handed in so far has been committed or failed. */
  async drain(): Promise<void> {
    if (this.inFlight === 0 && this.queue.length === 0) return
    await new Promise<void>((resolve) => this.idleWaiters.push(resolve))
  }

  private pump(): void {
    while (this.inFlight < this.maxInFlight && this.queue.length > 0) {
      const batch = this.queue.splice(0, this.maxBatch)
      this.inFlight += 1
      void this.flush(batch).finally(() => {
        this.inFlight -= 1
        this.pump()
        if (this.inFlight === 0 && this.queue.length === 0) {
          for (const wake of this.idleWaiters.splice(0)) wake()
        }
      })
    }
  }

  private async flush(batch: Pending[]): Promise<void> {
    let outcomes: VoteOutcome[]
    try {
      outcomes = await this.db.transaction().execute((trx) => writeBatch(trx, batch))
    } catch (error) {
      // Nothing of this batch was committed: every caller may safely retry.
      this.logger.warn({ err: error, votes: batch.length }, 'vote batch failed')
      for (const pending of batch) pending.reject(error)
      return
    }
    batch.forEach((pending, index) => {
      pending.resolve(outcomes[index] ?? { ok: false, reason: 'poll_not_found' })
    })
  }
}

const newTracker = () => randomBytes(16).toString('hex')

/** Fisher–Yates, so ballot rows are not stored in the order voters' participation rows are. */
function shuffled<T>(items: T[]): T[] {
  const copy = [...items]
  for (let i = copy.length - 1; i > 0; i--) {
    const j = randomInt(i + 1)
    ;[copy[i], copy[j]] = [copy[j] as T, copy[i] as T]
  }
  return copy
}

/** One transaction for a whole batch; returns one outcome per request, in order. */
async function writeBatch(trx: Queryable, batch: readonly VoteRequest[]): Promise<VoteOutcome[]> {
  const pollIds = [...new Set(batch.map((vote) => vote.pollId))]
  const optionIds = [...new Set(batch.map((vote) => vote.optionId))]

  // FOR SHARE: a concurrent close waits for this batch, and this batch sees the poll as it is.
  const polls = await trx
    .selectFrom('polls')
    .select(['id', acceptingVotes.as('accepting'), sql<Date>`now()`.as('now')])
    .where('id', 'in', pollIds)
    .forShare()
    .execute()
  const options = await trx
    .selectFrom('poll_options')
    .select(['id', 'poll_id'])
    .where('id', 'in', optionIds)
    .execute()
  const pollById = new Map(polls.map((poll) => [poll.id, poll]))
  const optionPoll = new Map(options.map((option) => [option.id, option.poll_id]))

  const outcomes: VoteOutcome[] = new Array<VoteOutcome>(batch.length)
  const candidates = new Map<string, number>() // `${pollId} ${sub}` → index of its first request
  batch.forEach((vote, index) => {
    const poll = pollById.get(vote.pollId)
    if (!poll) outcomes[index] = { ok: false, reason: 'poll_not_found' }
    else if (optionPoll.get(vote.optionId) !== vote.pollId)
      outcomes[index] = { ok: false, reason: 'option_not_found' }
    else if (!poll.accepting) outcomes[index] = { ok: false, reason: 'poll_not_open' }
    else {
      const key = `${vote.pollId} ${vote.voterSub}`
      if (candidates.has(key)) outcomes[index] = { ok: false, reason: 'already_voted' }
      else candidates.set(key, index)
    }
  })
  if (candidates.size === 0) return outcomes

  const entries = [...candidates.values()].map((index) => batch[index] as VoteRequest)
  // The primary key (poll_id, voter_sub) is the one-vote rule; a conflict means "already voted".
  const inserted = await sql<{ poll_id: string; voter_sub: string }>`
    insert into participation (poll_id, voter_sub)
    select * from unnest(${entries.map((e) => e.pollId)}::uuid[], ${entries.map((e) => e.voterSub)}::text[])
    on conflict do nothing
    returning poll_id, voter_sub`.execute(trx)
  const accepted = new Set(inserted.rows.map((row) => `${row.poll_id} ${row.voter_sub}`))

  const ballots: { index: number; pollId: string; optionId: string; tracker: string }[] = []
  for (const [key, index] of candidates) {
    const vote = batch[index] as VoteRequest
    if (accepted.has(key))
      ballots.push({ index, pollId: vote.pollId, optionId: vote.optionId, tracker: newTracker() })
    else outcomes[index] = { ok: false, reason: 'already_voted' }
  }
  if (ballots.length === 0) return outcomes

  const stored = shuffled(ballots)
  await sql`
    insert into ballots (poll_id, option_id, tracker)
    select * from unnest(
      ${stored.map((b) => b.pollId)}::uuid[],
      ${stored.map((b) => b.optionId)}::uuid[],
      ${stored.map((b) => b.tracker)}::text[])`.execute(trx)

  const changedPolls = [...new Set(ballots.map((b) => b.pollId))]
  // Delivered after commit, to every API process listening: that is how live results move.
  await sql`select pg_notify(${POLL_CHANGED_CHANNEL}, id) from unnest(${changedPolls}::text[]) as id`.execute(
    trx,
  )

  for (const ballot of ballots) {
    const castAt = (pollById.get(ballot.pollId)?.now ?? new Date()).toISOString()
    outcomes[ballot.index] = {
      ok: true,
      receipt: { tracker: ballot.tracker, pollId: ballot.pollId, castAt },
    }
  }
  return outcomes
}
