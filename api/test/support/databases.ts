import { randomBytes } from 'node:crypto'
import pg from 'pg'
import { pino } from 'pino'
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
  const name = `votelab_test_${randomBytes(6).toString('hex')}`
  const admin = new pg.Client({ connectionString: adminUrl() })
  await admin.connect()
  await admin.query(`create database ${name}`)
  await admin.end()
  const url = new URL(adminUrl())
  url.pathname = `/${name}`
  return {
    url: url.toString(),
    open: () =>
      openPostgres(
        {
          kind: 'postgres',
          url: url.toString(),
          ssl: 'disable',
          caFile: undefined,
          ca: 'system',
          poolMax: 10,
          statementTimeoutMs: 5_000,
        },
        pino({ level: 'silent' }),
      ),
    async drop() {
      const client = new pg.Client({ connectionString: adminUrl() })
      await client.connect()
      try {
        // An autovacuum worker on the scratch database belongs to the superuser, and `with
        // (force)` may not end it (42501): it finishes in moments, so try again.
        for (let attempt = 1; ; attempt++) {
          try {
            await client.query(`drop database if exists ${name} with (force)`)
            return
          } catch (error) {
            if ((error as { code?: string }).code !== '42501' || attempt >= 20) throw error
            await new Promise((resolve) => setTimeout(resolve, 250))
          }
        }
      } finally {
        await client.end()
      }
    },
  }
}
