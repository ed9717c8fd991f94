import type { Kysely } from 'kysely'

// Idempotency-Key for votes: a retried request gets the same receipt instead of 409. The receipt
// is sealed with a key derived from the client's Idempotency-Key, which the server never stores,
// and the row carries no time: the table cannot link a voter to a ballot (docs/decisions/009).

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('vote_requests')
    .addColumn('voter_sub', 'text', (col) => col.notNull())
    .addColumn('key_hash', 'text', (col) => col.notNull())
    .addColumn('poll_id', 'uuid', (col) => col.notNull().references('polls.id').onDelete('cascade'))
    .addColumn('sealed_receipt', 'text', (col) => col.notNull())
    .addPrimaryKeyConstraint('vote_requests_pkey', ['voter_sub', 'key_hash'])
    .execute()
  await db.schema
    .createIndex('vote_requests_poll_id_idx')
    .on('vote_requests')
    .column('poll_id')
    .execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('vote_requests').execute()
}
