import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { DatabaseHandle } from '../src/db/client.ts'
import { migrateDownAll, migrateToLatest } from '../src/db/migrate.ts'
import { migrations } from '../src/db/migrations/index.ts'
import { DEMO_POLL_IDS, seedDemoPolls } from '../src/db/seed.ts'
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
      'local_users',
      'oidc_records',
      'participation',
      'poll_options',
      'poll_seals',
      'polls',
    ])
    expect(await migrateToLatest(database.db)).toEqual([])
    expect(await migrateDownAll(database.db)).toEqual(
      [...names].reverse().map((name) => `Down ${name}`),
    )
    expect(await tables()).toEqual([])
    await migrateToLatest(database.db)
    expect(await tables()).toHaveLength(7)
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

  it('seed demo polls once: one open, one closed with votes, one draft', async () => {
    await migrateToLatest(database.db)
    expect(await seedDemoPolls(database.db)).toHaveLength(3)
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
    ])
    const ballots = await database.db
      .selectFrom('ballots')
      .select(sql<number>`count(*)::int`.as('n'))
      .where('poll_id', '=', DEMO_POLL_IDS.closed)
      .executeTakeFirstOrThrow()
    expect(ballots.n).toBe(32)
  })
})
