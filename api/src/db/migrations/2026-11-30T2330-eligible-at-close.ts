import { sql, type Kysely } from 'kysely'

// Turnout against the eligible: a group's size can change after a poll closes, so it is counted
// once, when the poll closes, and kept. (A roll is fixed once the poll opens: it is counted live.)

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('polls')
    .addColumn('eligible_at_close', 'integer', (col) => col.check(sql`eligible_at_close >= 0`))
    .execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('polls').dropColumn('eligible_at_close').execute()
}
