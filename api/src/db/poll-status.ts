import { sql, type RawBuilder } from 'kysely'
import type { PollStatus } from './database.ts'

/** Polls and results change on this channel; the payload is the poll id. */
export const POLL_CHANGED_CHANNEL = 'votelab_poll_changed'

/** An open poll whose closing time has passed reads as closed, without a job to flip it. */
export const effectiveStatus: RawBuilder<PollStatus> = sql<PollStatus>`
  case when polls.status = 'open' and polls.closes_at <= now() then 'closed' else polls.status end`

/** The poll is open and inside its voting window right now. */
export const acceptingVotes: RawBuilder<boolean> = sql<boolean>`(
  polls.status = 'open'
  and (polls.opens_at is null or polls.opens_at <= now())
  and (polls.closes_at is null or polls.closes_at > now()))`
