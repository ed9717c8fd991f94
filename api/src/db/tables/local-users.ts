import type { ColumnType, Generated } from 'kysely'

/** Accounts of the local sign-in provider only; Cognito keeps its own. */
export interface LocalUsersTable {
  id: Generated<string>
  /** Lower-cased. */
  email: string
  /** argon2id, PHC string format; never the password. Null: invited, no password chosen yet. */
  password_hash: string | null
  /** The mailbox the address delivers to (auth/mailbox.ts); null only for rows before it existed. */
  mailbox: ColumnType<string | null, string | undefined, string>
  groups: ColumnType<string[], string[] | undefined, string[]>
  /** When the owner proved the address is theirs (a mailed code); null: not yet. */
  email_verified_at: ColumnType<Date | null, Date | null | undefined, Date | null>
  created_at: Generated<Date>
}

/**
 * The local sign-in provider's signing key and cookie secret (by name), one per database: what
 * every replica signs and checks with. Its own data dir keeps a copy (the CLI and tools read it).
 */
export interface LocalIssuerSecretsTable {
  name: string
  value: string
  created_at: Generated<Date>
}

/** A one-time code mailed to an account's owner: to confirm the address, or to accept an invitation. */
export interface EmailCodesTable {
  id: Generated<string>
  account_id: string
  purpose: 'confirm' | 'invite'
  code_hash: string
  attempts: Generated<number>
  expires_at: Date
  used_at: Date | null
  created_at: Generated<Date>
}

/** Mail the development mailbox holds, where no mail server is configured. */
export interface DevMailTable {
  id: Generated<string>
  recipient: string
  subject: string
  body: string
  sent_at: Generated<Date>
}
