import { sql, type Expression, type ExpressionBuilder, type RawBuilder } from 'kysely'
import type { Database, PollStatus } from './database.ts'

/** Polls and results change on this channel; the payload is the poll id. */
export const POLL_CHANGED_CHANNEL = 'votelab_poll_changed'

/** The columns a poll's status depends on, wherever a query has them (table, alias, CTE). */
export interface PollTiming {
  status: Expression<PollStatus>
  opensAt: Expression<Date | null>
  closesAt: Expression<Date | null>
}

/** The timing columns of the `polls` table in a query that selects from it. */
export function pollTiming(eb: ExpressionBuilder<Database, 'polls'>): PollTiming {
  return {
    status: eb.ref('polls.status'),
    opensAt: eb.ref('polls.opens_at'),
    closesAt: eb.ref('polls.closes_at'),
  }
}

/** An open poll whose closing time has passed reads as closed, without a job to flip it. */
export function effectiveStatus({ status, closesAt }: PollTiming): RawBuilder<PollStatus> {
  return sql<PollStatus>`case when ${status} = 'open' and ${closesAt} <= now() then 'closed' else ${status} end`
}

/** The poll is open and inside its voting window right now. */
export function acceptingVotes({ status, opensAt, closesAt }: PollTiming): RawBuilder<boolean> {
  return sql<boolean>`(
  ${status} = 'open'
  and (${opensAt} is null or ${opensAt} <= now())
  and (${closesAt} is null or ${closesAt} > now()))`
}
