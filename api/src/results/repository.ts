import { sql } from 'kysely'
import { publicChain, readSealState, type SealObserver } from '../ballots/seal.ts'
import type { Queryable } from '../db/database.ts'
import type { Results } from './schemas.ts'

/**
 * The tally. While a poll is open it is counted from the ballots themselves (no counter to drift
 * from them); once closed it is the tally sealed with the ballot chain, published with the chain's
 * head so anyone can recount the board against it. A poll whose results show `after_close` shows
 * only its turnout until then.
 */
export async function getResults(
  db: Queryable,
  pollId: string,
  observer?: SealObserver,
): Promise<Results | undefined> {
  const poll = await readSealState(db, pollId, observer)
  if (!poll) return undefined
  const { seal } = poll
  const options = seal
    ? await db
        .selectFrom('poll_options as o')
        .select(['o.id', 'o.label', sql<number>`coalesce(o.final_votes, 0)`.as('votes')])
        .where('o.poll_id', '=', pollId)
        .orderBy('o.position')
        .execute()
    : await db
        .selectFrom('poll_options as o')
        .leftJoin(
          (eb) =>
            eb
              .selectFrom('ballots')
              .select(['option_id', sql<number>`count(*)::int`.as('votes')])
              .where('poll_id', '=', pollId)
              .groupBy('option_id')
              .as('counts'),
          (join) => join.onRef('counts.option_id', '=', 'o.id'),
        )
        .select(['o.id', 'o.label', sql<number>`coalesce(counts.votes, 0)`.as('votes')])
        .where('o.poll_id', '=', pollId)
        .orderBy('o.position')
        .execute()
  const hidden = poll.resultsVisibility === 'after_close' && poll.status !== 'closed'
  const totalVotes = options.reduce((sum, option) => sum + option.votes, 0)
  return {
    pollId,
    status: poll.status,
    resultsVisibility: poll.resultsVisibility,
    totalVotes,
    options: options.map((option) => ({
      optionId: option.id,
      label: option.label,
      votes: hidden ? null : option.votes,
    })),
    turnout: { ballots: totalVotes, eligible: poll.eligible },
    asOf: new Date(poll.asOf).toISOString(),
    chain: seal ? { ...publicChain(seal), published: poll.publishBallots } : null,
  }
}
