import { sql, type Kysely } from 'kysely'

// Frozen in time: migrations use Kysely<any> and never import the app's types.

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('polls')
    .addColumn('id', 'uuid', (col) => col.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('title', 'text', (col) => col.notNull())
    .addColumn('description', 'text', (col) => col.notNull().defaultTo(''))
    .addColumn('status', 'text', (col) =>
      col
        .notNull()
        .defaultTo('draft')
        .check(sql`status in ('draft', 'open', 'closed')`),
    )
    .addColumn('opens_at', 'timestamptz')
    .addColumn('closes_at', 'timestamptz')
    .addColumn('created_by', 'text', (col) => col.notNull())
    .addColumn('created_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .addCheckConstraint(
      'polls_window_order',
      sql`opens_at is null or closes_at is null or opens_at < closes_at`,
    )
    .execute()
  await db.schema
    .createIndex('polls_status_created_idx')
    .on('polls')
    .columns(['status', 'created_at'])
    .execute()

  await db.schema
    .createTable('poll_options')
    .addColumn('id', 'uuid', (col) => col.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('poll_id', 'uuid', (col) => col.notNull().references('polls.id').onDelete('cascade'))
    .addColumn('label', 'text', (col) => col.notNull())
    .addColumn('position', 'integer', (col) => col.notNull())
    .addUniqueConstraint('poll_options_poll_position_key', ['poll_id', 'position'])
    // Lets ballots reference (poll, option) together, so a ballot can never name another poll's option.
    .addUniqueConstraint('poll_options_poll_id_key', ['poll_id', 'id'])
    .execute()

  await db.schema
    .createTable('participation')
    .addColumn('poll_id', 'uuid', (col) => col.notNull().references('polls.id').onDelete('cascade'))
    .addColumn('voter_sub', 'text', (col) => col.notNull())
    .addPrimaryKeyConstraint('participation_pkey', ['poll_id', 'voter_sub'])
    .execute()

  await db.schema
    .createTable('ballots')
    .addColumn('id', 'bigint', (col) => col.primaryKey().generatedAlwaysAsIdentity())
    .addColumn('poll_id', 'uuid', (col) => col.notNull())
    .addColumn('option_id', 'uuid', (col) => col.notNull())
    .addColumn('tracker', 'text', (col) => col.notNull().unique())
    .addColumn('cast_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .addForeignKeyConstraint(
      'ballots_poll_option_fkey',
      ['poll_id', 'option_id'],
      'poll_options',
      ['poll_id', 'id'],
      (fk) => fk.onDelete('cascade'),
    )
    .execute()
  await db.schema
    .createIndex('ballots_poll_option_idx')
    .on('ballots')
    .columns(['poll_id', 'option_id'])
    .execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('ballots').execute()
  await db.schema.dropTable('participation').execute()
  await db.schema.dropTable('poll_options').execute()
  await db.schema.dropTable('polls').execute()
}
