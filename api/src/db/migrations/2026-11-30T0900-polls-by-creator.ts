import type { Kysely } from 'kysely'

// The per-admin creation cap counts an admin's polls of the last hour at every create: an index
// keeps that one lookup whatever the table's size.

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createIndex('polls_created_by_created_at')
    .on('polls')
    .columns(['created_by', 'created_at'])
    .execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('polls_created_by_created_at').execute()
}
