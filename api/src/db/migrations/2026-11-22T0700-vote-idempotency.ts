import type { Kysely } from 'kysely'

// Idempotency-Key for votes: a retried request gets the same receipt instead of 409. One vote per
// voter per poll means the participation row is the request's natural home: it gains the hash of
// the key and the receipt sealed with a key derived from it, which the server never stores — so
// the row still cannot link a voter to a ballot (docs/decisions/009).

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('participation')
    .addColumn('key_hash', 'text')
    .addColumn('sealed_receipt', 'text')
    .execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('participation')
    .dropColumn('key_hash')
    .dropColumn('sealed_receipt')
    .execute()
}
