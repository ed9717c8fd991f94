import { sql, type Kysely } from 'kysely'

// A poll may take the voters on its roll only: a list of mailboxes (normalised email addresses,
// auth/mailbox.ts). The roll is a list, not a register: voting never marks an entry, so the roll
// cannot tell who voted, let alone how. Participation remembers the mailbox that voted, so two
// accounts with one mailbox (a@x and a+2@x) share one vote.

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('polls')
    .addColumn('eligibility', 'text', (col) => col.notNull().defaultTo('anyone'))
    .execute()
  await sql`update polls set eligibility = 'group' where eligible_group is not null`.execute(db)
  await sql`
    alter table polls
      add constraint polls_eligibility_check
        check (eligibility in ('anyone', 'group', 'roll')),
      add constraint polls_group_poll_names_its_group
        check ((eligibility = 'group') = (eligible_group is not null))`.execute(db)

  await db.schema
    .createTable('poll_roll')
    .addColumn('poll_id', 'uuid', (col) => col.notNull().references('polls.id').onDelete('cascade'))
    .addColumn('mailbox', 'text', (col) =>
      col.notNull().check(sql`length(mailbox) between 3 and 254`),
    )
    .addPrimaryKeyConstraint('poll_roll_pkey', ['poll_id', 'mailbox'])
    .execute()

  await db.schema.alterTable('participation').addColumn('mailbox', 'text').execute()
  await db.schema
    .createIndex('participation_one_vote_per_mailbox')
    .unique()
    .on('participation')
    .columns(['poll_id', 'mailbox'])
    .where(sql.ref('mailbox'), 'is not', null)
    .execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('participation_one_vote_per_mailbox').execute()
  await db.schema.alterTable('participation').dropColumn('mailbox').execute()
  await db.schema.dropTable('poll_roll').execute()
  await sql`
    alter table polls
      drop constraint polls_group_poll_names_its_group,
      drop constraint polls_eligibility_check,
      drop column eligibility`.execute(db)
}
