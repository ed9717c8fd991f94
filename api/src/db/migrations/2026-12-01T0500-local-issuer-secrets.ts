import { sql, type Kysely } from 'kysely'

// The local sign-in provider's signing key and cookie secret, shared by every replica on one
// database: the first to start publishes its own, the others adopt it (auth/local-issuer.ts).
// Without it, two replicas with no disk in common (a Deployment's pods, processes on different
// machines) each sign with a key of their own and reject each other's tokens.

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('local_issuer_secrets')
    .addColumn('name', 'text', (col) => col.primaryKey())
    .addColumn('value', 'text', (col) => col.notNull())
    .addColumn('created_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('local_issuer_secrets').execute()
}
