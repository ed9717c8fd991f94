import { sql, type Kysely } from 'kysely'

// Tables for the local sign-in provider (laptops, tests). In AWS, Cognito holds users and
// sessions and these tables stay empty.

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('local_users')
    .addColumn('id', 'uuid', (col) => col.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('email', 'text', (col) => col.notNull())
    .addColumn('password_hash', 'text', (col) => col.notNull())
    .addColumn('groups', sql`text[]`, (col) => col.notNull().defaultTo(sql`'{}'`))
    .addColumn('created_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .execute()
  // Case-insensitive uniqueness without an extension: the app stores emails lower-cased.
  await db.schema
    .createIndex('local_users_email_key')
    .on('local_users')
    .column('email')
    .unique()
    .execute()

  // oidc-provider's storage: sessions, interactions, codes, refresh tokens, grants.
  await db.schema
    .createTable('oidc_records')
    .addColumn('model', 'text', (col) => col.notNull())
    .addColumn('id', 'text', (col) => col.notNull())
    .addColumn('payload', 'jsonb', (col) => col.notNull())
    .addColumn('grant_id', 'text')
    .addColumn('uid', 'text')
    .addColumn('user_code', 'text')
    .addColumn('expires_at', 'timestamptz')
    .addColumn('consumed_at', 'timestamptz')
    .addPrimaryKeyConstraint('oidc_records_pkey', ['model', 'id'])
    .execute()
  await db.schema
    .createIndex('oidc_records_grant_idx')
    .on('oidc_records')
    .column('grant_id')
    .execute()
  await db.schema
    .createIndex('oidc_records_uid_idx')
    .on('oidc_records')
    .columns(['model', 'uid'])
    .execute()
  await db.schema
    .createIndex('oidc_records_expires_idx')
    .on('oidc_records')
    .column('expires_at')
    .execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('oidc_records').execute()
  await db.schema.dropTable('local_users').execute()
}
