import type { Db, EligibilityKind } from './database.ts'

/**
 * Each poll's kind of eligibility, remembered: it is fixed when the poll is created, so a vote
 * learns whether it needs the voter's mailbox without a query. Bounded; forgets all when full.
 */
export function eligibilityKinds(db: Db, maxPolls = 10_000) {
  const known = new Map<string, EligibilityKind>()
  return async (pollId: string): Promise<EligibilityKind | undefined> => {
    const cached = known.get(pollId)
    if (cached) return cached
    const row = await db
      .selectFrom('polls')
      .select('eligibility')
      .where('id', '=', pollId)
      .executeTakeFirst()
    if (!row) return undefined
    if (known.size >= maxPolls) known.clear()
    known.set(pollId, row.eligibility)
    return row.eligibility
  }
}
