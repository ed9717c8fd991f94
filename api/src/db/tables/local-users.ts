import type { ColumnType, Generated } from 'kysely'

/** Accounts of the local sign-in provider only; Cognito keeps its own. */
export interface LocalUsersTable {
  id: Generated<string>
  /** Lower-cased. */
  email: string
  /** argon2id, PHC string format; never the password. */
  password_hash: string
  groups: ColumnType<string[], string[] | undefined, string[]>
  created_at: Generated<Date>
}
