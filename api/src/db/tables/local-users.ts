import type { ColumnType, Generated } from 'kysely'

/** Accounts of the local sign-in provider only; Cognito keeps its own. */
export interface LocalUsersTable {
  id: Generated<string>
  /** Lower-cased. */
  email: string
  /** argon2id, PHC string format; never the password. */
  password_hash: string
  groups: ColumnType<string[], string[] | undefined, string[]>
  /** When the owner proved the address is theirs (a mailed code); null: not yet. */
  email_verified_at: ColumnType<Date | null, Date | null | undefined, Date | null>
  created_at: Generated<Date>
}
