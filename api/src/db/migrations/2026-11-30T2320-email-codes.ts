import { sql, type Kysely } from 'kysely'

// Local accounts prove their address with a mailed code (Cognito's ConfirmSignUp), and admins may
// invite people, who choose their password from a mailed link. Without a mail server the mail
// goes to a development mailbox in the database, shared by every replica.

export async function up(db: Kysely<any>): Promise<void> {
  // An invited account has no password until its owner sets one.
  await db.schema
    .alterTable('local_users')
    .alterColumn('password_hash', (col) => col.dropNotNull())
    .execute()
  // The mailbox the address delivers to (auth/mailbox.ts): sign-up treats a+1@x as a@x.
  await db.schema.alterTable('local_users').addColumn('mailbox', 'text').execute()
  await sql`update local_users set mailbox = regexp_replace(email, '^([^+@]+)\\+[^@]*@', '\\1@')`.execute(
    db,
  )
  await db.schema.createIndex('local_users_mailbox').on('local_users').column('mailbox').execute()

  await db.schema
    .createTable('email_codes')
    .addColumn('id', 'uuid', (col) => col.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('account_id', 'uuid', (col) =>
      col.notNull().references('local_users.id').onDelete('cascade'),
    )
    .addColumn('purpose', 'text', (col) =>
      col.notNull().check(sql`purpose in ('confirm', 'invite')`),
    )
    // SHA-256 of the code with the account id: a leaked table gives no usable code.
    .addColumn('code_hash', 'text', (col) => col.notNull())
    .addColumn('attempts', 'integer', (col) => col.notNull().defaultTo(0))
    .addColumn('expires_at', 'timestamptz', (col) => col.notNull())
    .addColumn('used_at', 'timestamptz')
    .addColumn('created_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .execute()
  await db.schema
    .createIndex('email_codes_by_account')
    .on('email_codes')
    .columns(['account_id', 'created_at'])
    .execute()

  await db.schema
    .createTable('dev_mail')
    .addColumn('id', 'bigserial', (col) => col.primaryKey())
    .addColumn('recipient', 'text', (col) => col.notNull())
    .addColumn('subject', 'text', (col) => col.notNull())
    .addColumn('body', 'text', (col) => col.notNull())
    .addColumn('sent_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('dev_mail').execute()
  await db.schema.dropTable('email_codes').execute()
  await db.schema.dropIndex('local_users_mailbox').execute()
  await db.schema.alterTable('local_users').dropColumn('mailbox').execute()
  await sql`update local_users set password_hash = '!' where password_hash is null`.execute(db)
  await db.schema
    .alterTable('local_users')
    .alterColumn('password_hash', (col) => col.setNotNull())
    .execute()
}
