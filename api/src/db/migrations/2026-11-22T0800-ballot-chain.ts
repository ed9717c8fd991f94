import { sql, type Kysely } from 'kysely'

// Verifiable ballots (docs/decisions/010): when a poll closes its ballots are sealed into a hash
// chain ordered by tracker. Ballots gain their place (`seq`) and hash; the poll gains the
// published commitment (`poll_seals`) and the tally as it was sealed (`final_votes`).
// The identity column goes: its values numbered ballots in the order they were cast, which is
// exactly the timing the board must not reveal. The tracker (unique already) becomes the key.

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('polls')
    .addColumn('publish_ballots', 'boolean', (col) => col.notNull().defaultTo(true))
    .execute()
  await db.schema.alterTable('poll_options').addColumn('final_votes', 'integer').execute()

  await db.schema.alterTable('ballots').dropColumn('id').execute()
  await db.schema.alterTable('ballots').dropConstraint('ballots_tracker_key').execute()
  await db.schema
    .alterTable('ballots')
    .addPrimaryKeyConstraint('ballots_pkey', ['tracker'])
    .execute()
  await db.schema
    .alterTable('ballots')
    .alterColumn('cast_at', (col) => col.dropNotNull())
    .addColumn('seq', 'integer')
    .addColumn('entry_hash', 'text')
    .execute()
  await db.schema
    .createIndex('ballots_poll_seq_key')
    .on('ballots')
    .columns(['poll_id', 'seq'])
    .unique()
    .execute()

  await db.schema
    .createTable('poll_seals')
    .addColumn('poll_id', 'uuid', (col) =>
      col.primaryKey().references('polls.id').onDelete('cascade'),
    )
    .addColumn('ballot_count', 'integer', (col) => col.notNull())
    .addColumn('chain_head', 'text', (col) => col.notNull())
    .addColumn('sealed_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('poll_seals').execute()
  await db.schema.dropIndex('ballots_poll_seq_key').execute()
  await db.schema.alterTable('ballots').dropColumn('seq').dropColumn('entry_hash').execute()
  await sql`update ballots set cast_at = now() where cast_at is null`.execute(db)
  await db.schema
    .alterTable('ballots')
    .alterColumn('cast_at', (col) => col.setNotNull())
    .execute()
  await db.schema.alterTable('ballots').dropConstraint('ballots_pkey').execute()
  await db.schema
    .alterTable('ballots')
    .addUniqueConstraint('ballots_tracker_key', ['tracker'])
    .execute()
  await sql`alter table ballots add column id bigint generated always as identity primary key`.execute(
    db,
  )
  await db.schema.alterTable('poll_options').dropColumn('final_votes').execute()
  await db.schema.alterTable('polls').dropColumn('publish_ballots').execute()
}
