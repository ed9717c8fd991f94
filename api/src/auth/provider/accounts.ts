import { hash, verify } from '@node-rs/argon2'
import { sql } from 'kysely'
import { z } from 'zod'
import { mailboxOf } from '../mailbox.ts'
import type { Db } from '../../db/database.ts'

// OWASP's argon2id baseline: 19 MiB, 2 passes, 1 lane (about 90 ms here). The library's
// default algorithm is argon2id; tests check the stored hashes say so.
const ARGON2 = { memoryCost: 19_456, timeCost: 2, parallelism: 1 }

export interface Account {
  id: string
  email: string
  groups: string[]
  /** Whether the owner proved the address is theirs: only then may it match a voter roll. */
  emailVerified: boolean
}

const accountColumns = [
  'id',
  'email',
  'groups',
  sql<boolean>`email_verified_at is not null`.as('emailVerified'),
] as const

/** Cognito's default password policy: 8+ characters with upper case, lower case and a digit. */
export const passwordSchema = z
  .string()
  .min(8, 'Use at least 8 characters')
  .max(256, 'Use at most 256 characters')
  .regex(/[a-z]/, 'Add a lower-case letter')
  .regex(/[A-Z]/, 'Add an upper-case letter')
  .regex(/[0-9]/, 'Add a digit')

export const emailSchema = z
  .string()
  .trim()
  .toLowerCase()
  .max(254, 'That email address is too long')
  .pipe(z.email({ error: 'Enter an email address like name@example.com' }))

export class EmailTakenError extends Error {
  constructor() {
    super('An account with this email already exists')
    this.name = 'EmailTakenError'
  }
}

export async function createAccount(
  db: Db,
  email: string,
  /** Null: an invited account, whose owner chooses the password from the invitation. */
  password: string | null,
  groups: string[] = [],
  { verified = false }: { verified?: boolean } = {},
): Promise<Account> {
  const passwordHash = password === null ? null : await hash(password, ARGON2)
  const row = await db
    .insertInto('local_users')
    .values({
      email,
      mailbox: mailboxOf(email) ?? email,
      password_hash: passwordHash,
      groups,
      email_verified_at: verified ? new Date() : null,
    })
    .onConflict((oc) => oc.column('email').doNothing())
    .returning(accountColumns)
    .executeTakeFirst()
  if (!row) throw new EmailTakenError()
  return row
}

/** The password's hash, made whether or not it is stored: sign-up then costs the same either way. */
export const hashPassword = (password: string) => hash(password, ARGON2)

export async function findAccountByEmail(db: Db, email: string): Promise<Account | undefined> {
  return db
    .selectFrom('local_users')
    .select(accountColumns)
    .where('email', '=', email)
    .executeTakeFirst()
}

/** Some account whose address delivers to this mailbox (`a+1@x` and `a@x` are one), its own first. */
export async function findAccountByMailbox(db: Db, email: string): Promise<Account | undefined> {
  const mailbox = mailboxOf(email) ?? email
  return db
    .selectFrom('local_users')
    .select(accountColumns)
    .where((eb) => eb.or([eb('email', '=', email), eb('mailbox', '=', mailbox)]))
    .orderBy(sql`email = ${email}`, 'desc')
    .limit(1)
    .executeTakeFirst()
}

/** The owner proved the address is theirs (a code from a mail sent to it). */
export async function markEmailVerified(db: Db, accountId: string): Promise<void> {
  await db
    .updateTable('local_users')
    .set({ email_verified_at: sql<Date>`coalesce(email_verified_at, now())` })
    .where('id', '=', accountId)
    .execute()
}

export async function setPasswordHash(db: Db, accountId: string, passwordHash: string) {
  await db
    .updateTable('local_users')
    .set({ password_hash: passwordHash })
    .where('id', '=', accountId)
    .execute()
}

/**
 * Adds and removes groups of the account with this email; its tokens carry them from the next
 * sign-in on (`cognito:groups`). Undefined when no account has that email.
 */
export async function changeAccountGroups(
  db: Db,
  email: string,
  change: { add?: readonly string[]; remove?: readonly string[] },
): Promise<Account | undefined> {
  return db.transaction().execute(async (trx) => {
    const row = await trx
      .selectFrom('local_users')
      .select(['id', 'groups'])
      .where('email', '=', email)
      .forUpdate()
      .executeTakeFirst()
    if (!row) return undefined
    const groups = [...new Set([...row.groups, ...(change.add ?? [])])]
      .filter((group) => !(change.remove ?? []).includes(group))
      .sort()
    return trx
      .updateTable('local_users')
      .set({ groups })
      .where('id', '=', row.id)
      .returning(accountColumns)
      .executeTakeFirstOrThrow()
  })
}

// Verified against when the email is unknown, so a wrong email costs as long as a wrong password.
let decoyHash: Promise<string> | undefined

/** The account, or undefined when the email is unknown or the password wrong (callers can't tell). */
export async function checkCredentials(
  db: Db,
  email: string,
  password: string,
): Promise<Account | undefined> {
  const row = await db
    .selectFrom('local_users')
    .select([...accountColumns, 'password_hash'])
    .where('email', '=', email)
    .executeTakeFirst()
  // Unknown, or invited with no password yet: as slow as a wrong password.
  if (!row?.password_hash) {
    decoyHash ??= hash('decoy-password-1A', ARGON2)
    await verify(await decoyHash, password).catch(() => false)
    return undefined
  }
  const ok = await verify(row.password_hash, password).catch(() => false)
  return ok
    ? { id: row.id, email: row.email, groups: row.groups, emailVerified: row.emailVerified }
    : undefined
}

export async function findAccount(db: Db, id: string): Promise<Account | undefined> {
  return (await findAccounts(db, [id]))[0]
}

/** Several accounts in one query, in the order asked (undefined for ids with no account). */
export async function findAccounts(
  db: Db,
  ids: readonly string[],
): Promise<(Account | undefined)[]> {
  const valid = ids.filter((id) => z.uuid().safeParse(id).success)
  const rows =
    valid.length === 0
      ? []
      : await db.selectFrom('local_users').select(accountColumns).where('id', 'in', valid).execute()
  const byId = new Map(rows.map((row) => [row.id, row]))
  return ids.map((id) => byId.get(id))
}

/** Development accounts that `pnpm dev` creates and prints. Never used outside local mode. */
export const DEV_ACCOUNTS = [
  { email: 'admin@votelab.local', password: 'Admin-pass-1', groups: ['admins'] },
  { email: 'voter@votelab.local', password: 'Voter-pass-1', groups: [] },
] as const

/** The development accounts, with their addresses verified: they vote on demo rolls at once. */
export async function ensureDevAccounts(db: Db): Promise<void> {
  for (const account of DEV_ACCOUNTS) {
    try {
      await createAccount(db, account.email, account.password, [...account.groups], {
        verified: true,
      })
    } catch (error) {
      if (!(error instanceof EmailTakenError)) throw error
    }
  }
  // Made before addresses were verified (an older data directory): these are the developer's.
  await db
    .updateTable('local_users')
    .set({ email_verified_at: sql<Date>`now()` })
    .where(
      'email',
      'in',
      DEV_ACCOUNTS.map((account) => account.email),
    )
    .where('email_verified_at', 'is', null)
    .execute()
}
