import { type Kysely } from 'kysely'

// Local accounts learn whether their email is theirs, as Cognito's do (`email_verified`): voter
// rolls match verified addresses only. Accounts made before this stay unverified until they are.

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('local_users').addColumn('email_verified_at', 'timestamptz').execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('local_users').dropColumn('email_verified_at').execute()
}
