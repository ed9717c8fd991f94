import type { ShedReason } from '../observability/catalogue.ts'
import { randomBytes } from 'node:crypto'
import {
  ROOT_CONTEXT,
  SpanKind,
  createNoopMeter,
  trace,
  type Counter,
  type Histogram,
  type Meter,
  type SpanContext,
  type Tracer,
} from '@opentelemetry/api'
import { currentSpanContext, inSpan } from '../observability/tracing.ts'
import { expressionBuilder, sql } from 'kysely'
import type { Logger } from 'pino'
import type { DatabaseHandle } from '../db/client.ts'
import type { Database } from '../db/database.ts'
import { POLL_CHANGED_CHANNEL, acceptingVotes, pollTiming } from '../db/poll-status.ts'
import { encryptReceipt, keyHash } from './idempotency.ts'

/** Whether a `polls` row takes votes now, as SQL for the batch statement below (built once). */
const POLL_ACCEPTING = acceptingVotes(pollTiming(expressionBuilder<Database, 'polls'>()))

/** Whether the poll takes this voter: anyone, a member of its group, or a mailbox on its roll. */
const VOTER_ELIGIBLE = sql<boolean>`(case poll.eligibility
  when 'anyone' then true
  when 'group' then input.voter_groups ? poll.eligible_group
  when 'roll' then exists (
    select from poll_roll roll where roll.poll_id = poll.id and roll.mailbox = input.mailbox)
  else false end)`

export interface VoteRequest {
  pollId: string
  optionId: string
  voterSub: string
  /** The voter's identity-provider groups (`cognito:groups`): a group poll takes its members only. */
  voterGroups?: readonly string[] | undefined
  /** The voter's verified mailbox (auth/verified-email.ts): a roll poll takes the mailboxes on it. */
  voterMailbox?: string | undefined
  /** The client's Idempotency-Key: the vote then leaves an encrypted receipt for retries. */
  idempotencyKey?: string | undefined
}

export interface Receipt {
  tracker: string
  pollId: string
  castAt: string
}

export type VoteOutcome =
  | { ok: true; receipt: Receipt }
  | {
      ok: false
      reason:
        'poll_not_found' | 'poll_not_open' | 'option_not_found' | 'not_eligible' | 'already_voted'
    }
  /** Shed before reaching the database: nothing was written, the caller may retry. */
  | { ok: false; reason: 'overloaded' }

interface Pending extends VoteRequest {
  resolve: (outcome: VoteOutcome) => void
  reject: (error: unknown) => void
  queuedAt: number
  /** The request's span, when traced: the batch that carries the vote links to it. */
  span: SpanContext | undefined
}

export interface BallotBoxOptions {
  /** Most votes committed in one transaction. */
  maxBatch?: number
  /**
   * Statements in flight at once; more requests wait and join the next batch. Two measured best
   * (scripts/bench/votes.ts): more make batches compete for the hot poll's row locks.
   */
  maxInFlight?: number
  /** Votes waiting beyond this many are refused at once (503) instead of queueing. */
  maxQueued?: number
  /** A vote that waited this long for a batch is refused (503) instead of being written late. */
  maxQueueWaitMs?: number
  /** Where its metrics go (observability/metrics.ts); none by default. */
  meter?: Meter
  /** Batches and their statements as spans, when tracing is on (observability/tracing.ts). */
  tracer?: Tracer | undefined
}

/** Group commit made visible: what happened to each vote, batch sizes, commit time, the queue. */
function ballotBoxInstruments(meter: Meter, queueDepth: () => number) {
  meter
    .createObservableGauge('votelab.vote.queue.depth', {
      description: 'Votes waiting for a batch',
      unit: '{vote}',
    })
    .addCallback((result) => {
      result.observe(queueDepth())
    })
  return {
    votes: meter.createCounter('votelab.votes', {
      description: 'Votes handed to the ballot box, by outcome (cast, refused, shed, failed)',
      unit: '{vote}',
    }),
    shed: meter.createCounter('votelab.vote.shed', {
      description: 'Votes refused with 503 before reaching the database, by reason',
      unit: '{vote}',
    }),
    batchSize: meter.createHistogram('votelab.vote.batch.size', {
      description: 'Votes committed together in one statement',
      unit: '{vote}',
      advice: { explicitBucketBoundaries: [1, 2, 5, 10, 20, 50, 100, 200, 500] },
    }),
    batchDuration: meter.createHistogram('votelab.vote.batch.duration', {
      description: 'Time to write and commit one batch',
      unit: 's',
      advice: {
        explicitBucketBoundaries: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      },
    }),
  } satisfies Record<string, Counter | Histogram>
}

/**
 * Casts votes with group commit: requests that arrive while a transaction is running wait and
 * are written together in the next one. A busy poll then costs one commit per batch instead of
 * one per vote, and a quiet one waits for nothing (a lone vote is flushed at once).
 *
 * Each vote is counted exactly once or not at all: its participation row and ballot row are
 * written by the same statement (one transaction), and the caller hears "ok" only after commit.
 */
export class BallotBox {
  private readonly database: DatabaseHandle
  private readonly logger: Logger
  private readonly maxBatch: number
  private readonly maxInFlight: number
  private readonly maxQueued: number
  private readonly maxQueueWaitMs: number
  private queue: Pending[] = []
  private inFlight = 0
  private readonly idleWaiters: (() => void)[] = []
  private readonly metrics: ReturnType<typeof ballotBoxInstruments>
  private readonly tracer: Tracer | undefined

  constructor(database: DatabaseHandle, logger: Logger, options: BallotBoxOptions = {}) {
    this.database = database
    this.logger = logger
    this.maxBatch = options.maxBatch ?? 500
    this.maxInFlight = options.maxInFlight ?? 2
    this.maxQueued = options.maxQueued ?? 5_000
    this.maxQueueWaitMs = options.maxQueueWaitMs ?? 2_000
    this.metrics = ballotBoxInstruments(options.meter ?? createNoopMeter(), () => this.queue.length)
    this.tracer = options.tracer
  }

  /**
   * Past what the database can absorb, a bounded queue keeps latency bounded: answering "busy,
   * retry" at once beats every caller timing out (docs/operations.md).
   */
  cast(request: VoteRequest): Promise<VoteOutcome> {
    if (this.queue.length >= this.maxQueued) {
      this.shed('queue_full')
      return Promise.resolve({ ok: false, reason: 'overloaded' })
    }
    return new Promise((resolve, reject) => {
      const span = this.tracer ? currentSpanContext() : undefined
      this.queue.push({ ...request, resolve, reject, queuedAt: performance.now(), span })
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
      const staleBefore = performance.now() - this.maxQueueWaitMs
      while (this.queue.length > 0 && (this.queue[0] as Pending).queuedAt < staleBefore) {
        this.shed('waited_too_long')
        this.queue.shift()?.resolve({ ok: false, reason: 'overloaded' })
      }
      const batch = this.queue.splice(0, this.maxBatch)
      if (batch.length === 0) break
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

  /**
   * A group commit as a trace: the batch span starts when its first vote was queued (so the wait
   * shows), is a child of that vote's request and links to every request it carries; the
   * statement is its child. One trace then shows request → batch → statement, and the links lead
   * from the batch to each of the other requests' traces.
   */
  private tracedWrite(tracer: Tracer, batch: Pending[]): Promise<VoteOutcome[]> {
    const spans = batch.map((pending) => pending.span).filter((span) => span !== undefined)
    const first = spans[0]
    const parent = first ? trace.setSpanContext(ROOT_CONTEXT, first) : ROOT_CONTEXT
    const queuedAt = Math.min(...batch.map((pending) => pending.queuedAt))
    return inSpan(
      tracer,
      'votelab.vote.batch',
      {
        kind: SpanKind.INTERNAL,
        startTime: performance.timeOrigin + queuedAt,
        links: spans.map((context) => ({ context })),
        attributes: { 'votelab.vote.batch.size': batch.length },
      },
      parent,
      (span) =>
        inSpan(
          tracer,
          'INSERT votelab_cast_votes',
          {
            kind: SpanKind.CLIENT,
            attributes: {
              'db.system.name': 'postgresql',
              'db.operation.name': 'INSERT',
              'db.query.summary': 'votelab_cast_votes',
              'db.operation.batch.size': batch.length,
            },
          },
          trace.setSpan(parent, span),
          () => writeBatch(this.database, batch),
        ),
    )
  }

  private shed(reason: ShedReason): void {
    this.metrics.shed.add(1, { 'votelab.shed.reason': reason })
    this.metrics.votes.add(1, { 'votelab.vote.outcome': 'overloaded' })
  }

  private async flush(batch: Pending[]): Promise<void> {
    let outcomes: VoteOutcome[]
    const started = performance.now()
    try {
      outcomes = this.tracer
        ? await this.tracedWrite(this.tracer, batch)
        : await writeBatch(this.database, batch)
    } catch (error) {
      // Nothing of this batch was committed: every caller may safely retry.
      this.logger.warn({ err: error, votes: batch.length }, 'vote batch failed')
      this.metrics.votes.add(batch.length, { 'votelab.vote.outcome': 'failed' })
      for (const pending of batch) pending.reject(error)
      return
    }
    this.metrics.batchDuration.record((performance.now() - started) / 1000)
    this.metrics.batchSize.record(batch.length)
    const counts = new Map<string, number>()
    batch.forEach((pending, index) => {
      const outcome = outcomes[index] as VoteOutcome
      const key = outcome.ok ? 'cast' : outcome.reason
      counts.set(key, (counts.get(key) ?? 0) + 1)
      pending.resolve(outcome)
    })
    for (const [outcome, count] of counts) {
      this.metrics.votes.add(count, { 'votelab.vote.outcome': outcome })
    }
  }
}

/** 128 random bits per vote, hex; one call to the random source per batch. */
function newTrackers(count: number): string[] {
  const bytes = randomBytes(16 * count)
  return Array.from({ length: count }, (_, i) => bytes.toString('hex', 16 * i, 16 * (i + 1)))
}

type Outcome =
  | 'cast'
  | 'poll_not_found'
  | 'option_not_found'
  | 'poll_not_open'
  | 'not_eligible'
  | 'already_voted'
interface BatchRow {
  idx: number
  outcome: Outcome
  tracker: string | null
  cast_at: Date | string | null
}

/**
 * A whole batch in one statement, hence one round trip and one implicit transaction: every vote
 * in it is committed together or not at all. Returns one outcome per request, in order.
 */
async function writeBatch(
  database: DatabaseHandle,
  batch: readonly VoteRequest[],
): Promise<VoteOutcome[]> {
  // A voter who sent several requests in one batch gets one vote: the first; the rest lose.
  const outcomes = new Array<VoteOutcome>(batch.length).fill({ ok: false, reason: 'already_voted' })
  const firstOfVoter = new Map<string, number>()
  batch.forEach((vote, index) => {
    const key = `${vote.pollId} ${vote.voterSub}`
    if (!firstOfVoter.has(key)) firstOfVoter.set(key, index)
  })
  const indexes = [...firstOfVoter.values()]
  const votes = indexes.map((index) => batch[index] as VoteRequest)
  const trackers = newTrackers(votes.length)
  // Written with the participation row, so a remembered key always means a counted ballot.
  const remembered = votes.map((vote, i) =>
    vote.idempotencyKey
      ? {
          keyHash: keyHash(vote.voterSub, vote.idempotencyKey),
          encrypted: encryptReceipt(vote.voterSub, vote.idempotencyKey, {
            tracker: trackers[i] as string,
            optionId: vote.optionId,
          }),
        }
      : undefined,
  )

  const statement = sql<BatchRow>`
    with input as (
      select * from unnest(
        ${indexes}::int[],
        ${votes.map((vote) => vote.pollId)}::uuid[],
        ${votes.map((vote) => vote.optionId)}::uuid[],
        ${votes.map((vote) => vote.voterSub)}::text[],
        ${trackers}::text[],
        ${remembered.map((r) => r?.keyHash ?? null)}::text[],
        ${remembered.map((r) => r?.encrypted ?? null)}::text[],
        ${votes.map((vote) => JSON.stringify(vote.voterGroups ?? []))}::jsonb[],
        ${votes.map((vote) => vote.voterMailbox ?? null)}::text[]
      ) as t (idx, poll_id, option_id, voter_sub, tracker, key_hash, sealed_receipt, voter_groups,
              mailbox)
    ),
    -- FOR SHARE: closing a poll waits for this statement, so no ballot lands after the close.
    poll as (
      select id, ${POLL_ACCEPTING} as accepting, eligibility, eligible_group
      from polls
      where id in (select poll_id from input)
      for share
    ),
    -- Requests for an option of a poll that accepts votes, from voters it takes.
    eligible as (
      select input.poll_id, input.voter_sub, input.key_hash, input.sealed_receipt,
        case when poll.eligibility = 'roll' then input.mailbox end as mailbox
      from input
      join poll on poll.id = input.poll_id and poll.accepting
        and ${VOTER_ELIGIBLE}
      join poll_options option on option.id = input.option_id and option.poll_id = input.poll_id
    ),
    -- The one-vote rule is this primary key (and, on a roll, one vote per mailbox): a conflict
    -- means the voter, or another account of the same mailbox, already voted.
    participated as (
      insert into participation (poll_id, voter_sub, key_hash, sealed_receipt, mailbox)
      select poll_id, voter_sub, key_hash, sealed_receipt, mailbox from eligible
      on conflict do nothing
      returning poll_id, voter_sub
    ),
    cast_ballot as (
      insert into ballots (poll_id, option_id, tracker)
      select input.poll_id, input.option_id, input.tracker
      from input join participated using (poll_id, voter_sub)
      order by random() -- rows not in the order of the voters' participation rows
      returning poll_id, tracker, cast_at
    ),
    -- Delivered at commit to every API process listening: that is how live results move.
    -- (A SELECT in WITH runs only if referenced, hence the count below.)
    notified as (
      select pg_notify(${POLL_CHANGED_CHANNEL}, changed.poll_id::text)
      from (select distinct poll_id from cast_ballot) changed
    )
    select
      input.idx,
      case
        when poll.id is null then 'poll_not_found'
        when option.id is null then 'option_not_found'
        when not poll.accepting then 'poll_not_open'
        when not ${VOTER_ELIGIBLE} then 'not_eligible'
        when cast_ballot.tracker is not null then 'cast'
        else 'already_voted'
      end as outcome,
      cast_ballot.tracker,
      cast_ballot.cast_at,
      (select count(*) from notified) as notifications
    from input
    left join poll on poll.id = input.poll_id
    left join poll_options option on option.id = input.option_id and option.poll_id = input.poll_id
    left join cast_ballot on cast_ballot.tracker = input.tracker
    order by input.idx`
  const rows = await database.queryPrepared<BatchRow>(
    'votelab_cast_votes',
    statement.compile(database.db),
  )

  for (const row of rows) {
    const pollId = (batch[row.idx] as VoteRequest).pollId
    outcomes[row.idx] =
      row.outcome === 'cast' && row.tracker && row.cast_at
        ? {
            ok: true,
            receipt: { tracker: row.tracker, pollId, castAt: new Date(row.cast_at).toISOString() },
          }
        : { ok: false, reason: row.outcome === 'cast' ? 'already_voted' : row.outcome }
  }
  return outcomes
}
