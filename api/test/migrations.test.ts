import { sql } from 'kysely'
import { Migrator } from 'kysely/migration'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { DatabaseHandle } from '../src/db/client.ts'
import { migrateDownAll, migrateToLatest } from '../src/db/migrate.ts'
import { migrations } from '../src/db/migrations/index.ts'
import { DEMO_POLL_IDS, seedDemoPolls } from '../src/cli/demo-polls.ts'
import { getResults } from '../src/results/repository.ts'
import { createTestDatabase, onPostgres, type TestDatabase } from './support/databases.ts'

let testDatabase: TestDatabase
let database: DatabaseHandle
beforeAll(async () => {
  testDatabase = await createTestDatabase()
  database = await testDatabase.open()
})
afterAll(async () => {
  await database.close()
  await testDatabase.drop()
})

async function tables(): Promise<string[]> {
  const { rows } = await sql<{ name: string }>`
    select table_name as name from information_schema.tables
    where table_schema = 'public' and table_name not like 'kysely_%' order by 1`.execute(
    database.db,
  )
  return rows.map((row) => row.name)
}

describe('migrations', () => {
  it('go up, down and up again', async () => {
    const names = Object.keys(migrations)
    expect(names).toEqual([...names].sort()) // the index is in order
    expect(await migrateToLatest(database.db)).toEqual(names.map((name) => `Up ${name}`))
    expect(await tables()).toEqual([
      'ballots',
      'dev_mail',
      'email_codes',
      'local_issuer_secrets',
      'local_users',
      'oidc_records',
      'participation',
      'poll_options',
      'poll_roll',
      'poll_seals',
      'polls',
    ])
    expect(await migrateToLatest(database.db)).toEqual([])
    expect(await migrateDownAll(database.db)).toEqual(
      [...names].reverse().map((name) => `Down ${name}`),
    )
    expect(await tables()).toEqual([])
    await migrateToLatest(database.db)
    expect(await tables()).toHaveLength(11)
  })

  it.runIf(onPostgres)(
    'run once when several replicas start together (advisory lock)',
    async () => {
      await migrateDownAll(database.db)
      const replicas = await Promise.all([
        testDatabase.open(),
        testDatabase.open(),
        testDatabase.open(),
      ])
      try {
        const applied = await Promise.all(replicas.map((replica) => migrateToLatest(replica.db)))
        expect(applied.map((steps) => steps.length).sort()).toEqual([
          0,
          0,
          Object.keys(migrations).length,
        ])
      } finally {
        await Promise.all(replicas.map((replica) => replica.close()))
      }
    },
  )

  it('seed demo polls once: open, closed with votes, draft, and two with voter lists', async () => {
    await migrateToLatest(database.db)
    expect(await seedDemoPolls(database.db)).toHaveLength(5)
    expect(await seedDemoPolls(database.db)).toEqual([])
    const polls = await database.db
      .selectFrom('polls')
      .select(['id', 'status'])
      .orderBy('id')
      .execute()
    expect(polls).toEqual([
      { id: DEMO_POLL_IDS.open, status: 'open' },
      { id: DEMO_POLL_IDS.closed, status: 'closed' },
      { id: DEMO_POLL_IDS.draft, status: 'draft' },
      { id: DEMO_POLL_IDS.rollWithVoter, status: 'open' },
      { id: DEMO_POLL_IDS.rollWithoutVoter, status: 'open' },
    ])
    const ballots = await database.db
      .selectFrom('ballots')
      .select(sql<number>`count(*)::int`.as('n'))
      .where('poll_id', '=', DEMO_POLL_IDS.closed)
      .executeTakeFirstOrThrow()
    expect(ballots.n).toBe(32)
    // The closed demo poll comes sealed, as every closed poll is.
    const seal = await database.db
      .selectFrom('poll_seals')
      .select('ballot_count')
      .where('poll_id', '=', DEMO_POLL_IDS.closed)
      .executeTakeFirstOrThrow()
    expect(seal.ballot_count).toBe(32)
  })

  it('upgrades a database holding closed polls: they are sealed on their first read', async () => {
    await migrateDownAll(database.db)
    const migrator = new Migrator({
      db: database.db,
      provider: { getMigrations: () => Promise.resolve(migrations) },
    })
    const { error } = await migrator.migrateTo('2026-11-22T0700-vote-idempotency')
    expect(error).toBeUndefined()
    // A closed poll as the previous version stored it: numbered ballots with their cast times.
    const pollId = '00000000-0000-4000-8000-00000000aaaa'
    const [yes, no] = [
      '00000000-0000-4000-8000-00000000aaa1',
      '00000000-0000-4000-8000-00000000aaa2',
    ]
    await sql`insert into polls (id, title, status, created_by) values (${pollId}, 'Old', 'closed', 'seed')`.execute(
      database.db,
    )
    await sql`insert into poll_options (id, poll_id, label, position)
      values (${yes}, ${pollId}, 'Yes', 0), (${no}, ${pollId}, 'No', 1)`.execute(database.db)
    await sql`insert into ballots (poll_id, option_id, tracker) values
      (${pollId}, ${yes}, ${'a'.repeat(32)}), (${pollId}, ${no}, ${'b'.repeat(32)}),
      (${pollId}, ${yes}, ${'c'.repeat(32)})`.execute(database.db)

    expect(await migrateToLatest(database.db)).toEqual([
      'Up 2026-11-22T0800-ballot-chain',
      'Up 2026-11-30T0900-polls-by-creator',
      'Up 2026-11-30T1000-results-visibility',
      'Up 2026-11-30T1100-poll-eligibility',
      'Up 2026-11-30T2300-voter-rolls',
      'Up 2026-11-30T2310-verified-email',
      'Up 2026-11-30T2320-email-codes',
      'Up 2026-11-30T2330-eligible-at-close',
      'Up 2026-12-01T0500-local-issuer-secrets',
    ])
    const results = await getResults(database.db, pollId)
    expect(results?.chain).toMatchObject({ length: 3, published: true })
    expect(results?.options.map((option) => option.votes)).toEqual([2, 1])
    const ballots = await database.db
      .selectFrom('ballots')
      .select(['tracker', 'seq', 'cast_at'])
      .where('poll_id', '=', pollId)
      .orderBy('seq')
      .execute()
    expect(ballots).toEqual([
      { tracker: 'a'.repeat(32), seq: 1, cast_at: null },
      { tracker: 'b'.repeat(32), seq: 2, cast_at: null },
      { tracker: 'c'.repeat(32), seq: 3, cast_at: null },
    ])
  })
})
