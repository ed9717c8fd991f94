import { sql, type Kysely } from 'kysely'

// Who may vote in a poll: any account, or members of one identity-provider group (the
// `cognito:groups` claim of the voter's access token). Existing polls stay open to anyone.

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('polls')
    .addColumn('eligible_group', 'text', (col) =>
      col.check(sql`eligible_group is null or length(eligible_group) between 1 and 128`),
    )
    .execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('polls').dropColumn('eligible_group').execute()
}
