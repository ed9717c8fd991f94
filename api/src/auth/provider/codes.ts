import { createHash, randomBytes, randomInt, timingSafeEqual } from 'node:crypto'
import { sql } from 'kysely'
import type { Db } from '../../db/database.ts'

export type CodePurpose = 'confirm' | 'invite'

const LIFETIME_MS: Record<CodePurpose, number> = {
  // Long enough to switch to the mail app; short enough that a stale mail is worthless.
  confirm: 15 * 60_000,
  // An invitation waits in an inbox for days.
  invite: 7 * 24 * 3_600_000,
}
/** Wrong guesses one code survives: with 6 digits and 5 codes an hour, ~25 guesses an hour. */
export const MAX_ATTEMPTS = 5
/** Codes one account may be sent per hour: no one can use us to flood a mailbox. */
export const MAX_CODES_PER_HOUR = 5

const digest = (accountId: string, code: string) =>
  createHash('sha256').update(`${accountId}:${code}`).digest('hex')

/**
 * A new single-use code for the account, replacing any earlier one of the same purpose, or
 * undefined when the account has had its hourly share. Confirmation codes are six digits (typed);
 * invitation codes are long (they travel in a link, never typed).
 */
export async function issueCode(
  db: Db,
  accountId: string,
  purpose: CodePurpose,
): Promise<string | undefined> {
  return db.transaction().execute(async (trx) => {
    // One issuer at a time per account, so the hourly count cannot be raced past.
    await sql`select id from local_users where id = ${accountId} for update`.execute(trx)
    const recent = await trx
      .selectFrom('email_codes')
      .select((eb) => eb.fn.countAll<number | string>().as('count'))
      .where('account_id', '=', accountId)
      .where('created_at', '>', sql<Date>`now() - interval '1 hour'`)
      .executeTakeFirstOrThrow()
    if (Number(recent.count) >= MAX_CODES_PER_HOUR) return undefined
    const code =
      purpose === 'confirm'
        ? String(randomInt(0, 1_000_000)).padStart(6, '0')
        : randomBytes(24).toString('base64url')
    await trx
      .updateTable('email_codes')
      .set({ used_at: sql<Date>`now()` })
      .where('account_id', '=', accountId)
      .where('purpose', '=', purpose)
      .where('used_at', 'is', null)
      .execute()
    await trx
      .insertInto('email_codes')
      .values({
        account_id: accountId,
        purpose,
        code_hash: digest(accountId, code),
        expires_at: new Date(Date.now() + LIFETIME_MS[purpose]),
      })
      .execute()
    return code
  })
}

/** Whether `code` is the account's live code for `purpose`; a right code is used up, a wrong one counts. */
export async function redeemCode(
  db: Db,
  accountId: string,
  purpose: CodePurpose,
  code: string,
): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    const live = await trx
      .selectFrom('email_codes')
      .select(['id', 'code_hash', 'attempts'])
      .where('account_id', '=', accountId)
      .where('purpose', '=', purpose)
      .where('used_at', 'is', null)
      .where('expires_at', '>', sql<Date>`now()`)
      .orderBy('created_at', 'desc')
      .limit(1)
      .forUpdate()
      .executeTakeFirst()
    if (!live || live.attempts >= MAX_ATTEMPTS) return false
    const expected = Buffer.from(live.code_hash)
    const given = Buffer.from(digest(accountId, code.trim()))
    if (!timingSafeEqual(expected, given)) {
      await trx
        .updateTable('email_codes')
        .set({ attempts: live.attempts + 1 })
        .where('id', '=', live.id)
        .execute()
      return false
    }
    await trx
      .updateTable('email_codes')
      .set({ used_at: sql<Date>`now()` })
      .where('id', '=', live.id)
      .execute()
    return true
  })
}
