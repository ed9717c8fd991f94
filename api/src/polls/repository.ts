import { sql } from 'kysely'
import { sealPoll, type SealObserver } from '../ballots/seal.ts'
import type { EligibilityKind, PollStatus, Queryable, ResultsVisibility } from '../db/database.ts'
import type { CreatePollInput, Eligibility, Poll } from './schemas.ts'
import { POLL_CHANGED_CHANNEL, effectiveStatus, pollTiming } from '../db/poll-status.ts'

const iso = (date: Date | null) => (date ? date.toISOString() : null)

async function withOptionsAndTotals(
  db: Queryable,
  rows: {
    id: string
    title: string
    description: string
    status: PollStatus
    opens_at: Date | null
    closes_at: Date | null
    publish_ballots: boolean
    results_visibility: ResultsVisibility
    eligibility: EligibilityKind
    eligible_group: string | null
  }[],
): Promise<Poll[]> {
  if (rows.length === 0) return []
  const ids = rows.map((row) => row.id)
  const rollPolls = rows.filter((row) => row.eligibility === 'roll').map((row) => row.id)
  const [options, totals, rolls] = await Promise.all([
    db
      .selectFrom('poll_options')
      .select(['id', 'poll_id', 'label', 'final_votes'])
      .where('poll_id', 'in', ids)
      .orderBy('poll_id')
      .orderBy('position')
      .execute(),
    // A sealed poll's total is its published tally (what its results say), counted once at
    // close; an open poll's is counted from its ballots.
    sql<{ poll_id: string; votes: number }>`
      select poll_id, count(*)::int as votes
      from ballots
      where poll_id = any(${ids}::uuid[])
        and not exists (select from poll_seals where poll_seals.poll_id = ballots.poll_id)
      group by poll_id
      union all
      select poll_id, coalesce(sum(final_votes), 0)::int
      from poll_options
      where poll_id = any(${ids}::uuid[])
        and exists (select from poll_seals where poll_seals.poll_id = poll_options.poll_id)
      group by poll_id`
      .execute(db)
      .then((result) => result.rows),
    rollPolls.length === 0
      ? []
      : db
          .selectFrom('poll_roll')
          .select((eb) => ['poll_id', eb.fn.countAll<number | string>().as('voters')])
          .where('poll_id', 'in', rollPolls)
          .groupBy('poll_id')
          .execute(),
  ])
  const votesByPoll = new Map(totals.map((total) => [total.poll_id, total.votes]))
  const rollSizes = new Map(rolls.map((roll) => [roll.poll_id, Number(roll.voters)]))
  const eligibilityOf = (row: (typeof rows)[number]): Eligibility =>
    row.eligibility === 'roll'
      ? { kind: 'roll', voters: rollSizes.get(row.id) ?? 0 }
      : row.eligibility === 'group' && row.eligible_group
        ? { kind: 'group', group: row.eligible_group }
        : { kind: 'anyone' }
  return rows.map((row) => ({
    id: row.id,
    title: row.title,
    description: row.description,
    status: row.status,
    opensAt: iso(row.opens_at),
    closesAt: iso(row.closes_at),
    options: options
      .filter((option) => option.poll_id === row.id)
      // A sealed poll's final count is public: lists show the winner without a results request.
      .map((option) =>
        option.final_votes === null
          ? { id: option.id, label: option.label }
          : { id: option.id, label: option.label, votes: option.final_votes },
      ),
    totalVotes: votesByPoll.get(row.id) ?? 0,
    publishBallots: row.publish_ballots,
    resultsVisibility: row.results_visibility,
    eligibility: eligibilityOf(row),
  }))
}

function selectPolls(db: Queryable) {
  return db
    .selectFrom('polls')
    .select((eb) => [
      'polls.id',
      'polls.title',
      'polls.description',
      effectiveStatus(pollTiming(eb)).as('status'),
      'polls.opens_at',
      'polls.closes_at',
      'polls.publish_ballots',
      'polls.results_visibility',
      'polls.eligibility',
      'polls.eligible_group',
    ])
}

export interface PollPage {
  polls: Poll[]
  /** The last poll's id when more follow: the next page starts after it. */
  nextAfter: string | null
}

/**
 * Newest first, `limit` at a time. The cursor is a poll id and the position is read from its row
 * (keyset paging): timestamps keep their microseconds, which a cursor through JavaScript would lose.
 */
export async function listPolls(
  db: Queryable,
  statuses: readonly PollStatus[],
  { limit, after }: { limit: number; after?: string },
): Promise<PollPage> {
  let query = selectPolls(db).where((eb) => eb(effectiveStatus(pollTiming(eb)), 'in', statuses))
  if (after) {
    query = query.where(
      sql<boolean>`(polls.created_at, polls.id) < (select created_at, id from polls where id = ${after})`,
    )
  }
  const rows = await query
    .orderBy('polls.created_at', 'desc')
    .orderBy('polls.id', 'desc')
    .limit(limit + 1)
    .execute()
  const page = rows.slice(0, limit)
  return {
    polls: await withOptionsAndTotals(db, page),
    nextAfter: rows.length > limit ? (page.at(-1)?.id ?? null) : null,
  }
}

/** How many polls `createdBy` created since `since`, and when the first of them was: the per-admin cap. */
export async function pollsCreatedSince(
  db: Queryable,
  createdBy: string,
  since: Date,
): Promise<{ count: number; first: Date | null }> {
  const row = await db
    .selectFrom('polls')
    .select((eb) => [
      eb.fn.countAll<number | string>().as('count'),
      eb.fn.min<Date | null>('created_at').as('first'),
    ])
    .where('created_by', '=', createdBy)
    .where('created_at', '>', since)
    .executeTakeFirstOrThrow()
  return { count: Number(row.count), first: row.first }
}

export async function findPoll(db: Queryable, pollId: string): Promise<Poll | undefined> {
  const row = await selectPolls(db).where('polls.id', '=', pollId).executeTakeFirst()
  return row ? (await withOptionsAndTotals(db, [row]))[0] : undefined
}

/** A group poll's group (one column: closing needs no more of the poll); undefined otherwise. */
export async function eligibleGroupOf(db: Queryable, pollId: string): Promise<string | undefined> {
  const row = await db
    .selectFrom('polls')
    .select('eligible_group')
    .where('id', '=', pollId)
    .executeTakeFirst()
  return row?.eligible_group ?? undefined
}

export async function hasVoted(db: Queryable, pollId: string, voterSub: string): Promise<boolean> {
  const row = await db
    .selectFrom('participation')
    .select('poll_id')
    .where('poll_id', '=', pollId)
    .where('voter_sub', '=', voterSub)
    .executeTakeFirst()
  return row !== undefined
}

export async function createPoll(
  db: Queryable,
  input: CreatePollInput,
  createdBy: string,
): Promise<Poll> {
  const pollId = await db.transaction().execute(async (trx) => {
    const poll = await trx
      .insertInto('polls')
      .values({
        title: input.title,
        description: input.description,
        opens_at: input.opensAt ? new Date(input.opensAt) : null,
        closes_at: input.closesAt ? new Date(input.closesAt) : null,
        publish_ballots: input.publishBallots,
        results_visibility: input.resultsVisibility,
        eligibility: input.eligibility?.kind,
        eligible_group: input.eligibility?.kind === 'group' ? input.eligibility.group : null,
        created_by: createdBy,
      })
      .returning('id')
      .executeTakeFirstOrThrow()
    await trx
      .insertInto('poll_options')
      .values(input.options.map((label, position) => ({ poll_id: poll.id, label, position })))
      .execute()
    if (input.eligibility?.kind === 'roll') await addToRoll(trx, poll.id, input.eligibility.emails)
    return poll.id
  })
  const poll = await findPoll(db, pollId)
  if (!poll) throw new Error(`poll ${pollId} vanished after insert`)
  return poll
}

export type TransitionOutcome =
  | { ok: true; poll: Poll }
  | { ok: false; reason: 'not_found' }
  | { ok: false; reason: 'empty_roll' }
  | { ok: false; reason: 'invalid_transition'; from: PollStatus }

/**
 * draft → open → closed, nothing else. The update takes the poll's row lock, so it waits for
 * any vote batch holding the poll (FOR SHARE) to commit: no ballot lands after the close, and the
 * seal (ballots/seal.ts) sees every ballot.
 */
export async function transitionPoll(
  db: Queryable,
  pollId: string,
  to: 'open' | 'closed',
  {
    eligibleAtClose,
    sealObserver,
  }: {
    /** A group poll's member count, taken by the caller just before closing (undefined: unknown). */
    eligibleAtClose?: number | undefined
    sealObserver?: SealObserver | undefined
  } = {},
): Promise<TransitionOutcome> {
  const changed = await db.transaction().execute(async (trx) => {
    const query = trx
      .updateTable('polls')
      .set({ status: to, updated_at: sql<Date>`now()` })
      .where('id', '=', pollId)
    const updated = await (
      to === 'open'
        ? query
            .where('status', '=', 'draft')
            .where(sql<boolean>`(closes_at is null or closes_at > now())`)
            // A roll poll with nobody on its roll would take no one: it stays a draft.
            .where(
              sql<boolean>`(eligibility <> 'roll' or exists (select from poll_roll where poll_id = ${pollId}))`,
            )
        : query.where('status', '=', 'open')
    )
      .returning('id')
      .executeTakeFirst()
    if (updated) await sql`select pg_notify(${POLL_CHANGED_CHANNEL}, ${pollId})`.execute(trx)
    // Sealed in the same transaction: a closed poll always has its chain and final tally.
    if (updated && to === 'closed') {
      await sealPoll(trx, pollId, { observer: sealObserver })
      if (eligibleAtClose !== undefined) {
        await trx
          .updateTable('polls')
          .set({ eligible_at_close: eligibleAtClose })
          .where('id', '=', pollId)
          .where('eligibility', '=', 'group')
          .execute()
      }
    }
    return updated !== undefined
  })
  const poll = await findPoll(db, pollId)
  if (!poll) return { ok: false, reason: 'not_found' }
  if (!changed && to === 'open' && poll.status === 'draft' && poll.eligibility.kind === 'roll') {
    return { ok: false, reason: 'empty_roll' }
  }
  if (!changed) return { ok: false, reason: 'invalid_transition', from: poll.status }
  return { ok: true, poll }
}

/** One statement however long the roll: the mailboxes travel as one array parameter. */
async function addToRoll(db: Queryable, pollId: string, mailboxes: readonly string[]) {
  if (mailboxes.length === 0) return
  await sql`
    insert into poll_roll (poll_id, mailbox)
    select ${pollId}::uuid, unnest(${mailboxes}::text[])
    on conflict do nothing`.execute(db)
}

export type ReplaceRollOutcome =
  | { ok: true; voters: number }
  | { ok: false; reason: 'not_found' }
  | { ok: false; reason: 'not_a_roll_poll' }
  | { ok: false; reason: 'not_draft'; status: PollStatus }

/**
 * The poll's roll becomes exactly these mailboxes, while it is a draft (by the clock too: a
 * draft past its `opensAt` is open). The row lock makes an upload and an opening take turns.
 */
export async function replaceRoll(
  db: Queryable,
  pollId: string,
  mailboxes: readonly string[],
): Promise<ReplaceRollOutcome> {
  return db.transaction().execute(async (trx) => {
    const poll = await trx
      .selectFrom('polls')
      .select((eb) => ['eligibility', effectiveStatus(pollTiming(eb)).as('status')])
      .where('id', '=', pollId)
      .forUpdate()
      .executeTakeFirst()
    if (!poll) return { ok: false, reason: 'not_found' }
    if (poll.eligibility !== 'roll') return { ok: false, reason: 'not_a_roll_poll' }
    if (poll.status !== 'draft') return { ok: false, reason: 'not_draft', status: poll.status }
    await trx.deleteFrom('poll_roll').where('poll_id', '=', pollId).execute()
    await addToRoll(trx, pollId, mailboxes)
    return { ok: true, voters: new Set(mailboxes).size }
  })
}

/** Whether this mailbox is on the poll's roll. */
export async function isOnRoll(db: Queryable, pollId: string, mailbox: string): Promise<boolean> {
  const row = await db
    .selectFrom('poll_roll')
    .select('poll_id')
    .where('poll_id', '=', pollId)
    .where('mailbox', '=', mailbox)
    .executeTakeFirst()
  return row !== undefined
}
