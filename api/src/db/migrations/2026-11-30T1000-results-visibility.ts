import { sql, type Kysely } from 'kysely'

// Whether a poll's tally is visible while it is open (docs/decisions/010, "Results while open"):
// a live tally moves within milliseconds of each vote, which tells anyone who knows when someone
// voted how they voted. Existing polls keep today's behaviour.

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('polls')
    .addColumn('results_visibility', 'text', (col) =>
      col
        .notNull()
        .defaultTo('live')
        .check(sql`results_visibility in ('live', 'after_close')`),
    )
    .execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('polls').dropColumn('results_visibility').execute()
}
