import { pino } from 'pino'
import { createScratchDatabase } from '@votelab/testkit/scratch-database'
import { openPglite, openPostgres, type DatabaseHandle } from '../../src/db/client.ts'

/** Which database the suite runs on: vitest's projects set TEST_DB (see vitest.config.ts). */
export const testDatabaseKind = process.env.TEST_DB === 'postgres' ? 'postgres' : 'pglite'
export const onPostgres = testDatabaseKind === 'postgres'

export interface TestDatabase {
  /** A postgres:// URL for other processes, on Postgres only. */
  url: string | undefined
  open(): Promise<DatabaseHandle>
  drop(): Promise<void>
}

function adminUrl(): string {
  const url = process.env.DATABASE_URL
  if (!url) throw new Error('TEST_DB=postgres needs DATABASE_URL')
  return url
}

/**
 * A database of its own for one test file: a fresh in-memory PGlite, or a new database on the
 * Postgres server at DATABASE_URL (files run in parallel and must not see each other's polls).
 */
export async function createTestDatabase(): Promise<TestDatabase> {
  if (!onPostgres) {
    return { url: undefined, open: () => openPglite('memory://'), drop: () => Promise.resolve() }
  }
  const scratch = await createScratchDatabase(adminUrl(), 'votelab_test')
  return {
    url: scratch.url,
    open: () =>
      openPostgres(
        {
          kind: 'postgres',
          url: scratch.url,
          ssl: 'disable',
          caFile: undefined,
          ca: 'system',
          poolMax: 10,
          statementTimeoutMs: 5_000,
        },
        pino({ level: 'silent' }),
      ),
    drop: () => scratch.drop(),
  }
}
