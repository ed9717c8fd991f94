import { randomBytes } from 'node:crypto'
import pg from 'pg'

/**
 * A throwaway database on the Postgres server `serverUrl` points at (the tests, the lab and the
 * benchmarks each make their own, so parallel runs never see each other's polls).
 */
export async function createScratchDatabase(
  serverUrl: string,
  prefix = 'votelab_scratch',
): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `${prefix}_${randomBytes(6).toString('hex')}`
  const admin = new pg.Client({ connectionString: serverUrl })
  await admin.connect()
  await admin.query(`create database ${name}`)
  await admin.end()
  const url = new URL(serverUrl)
  url.pathname = `/${name}`
  return {
    url: url.toString(),
    async drop() {
      const client = new pg.Client({ connectionString: serverUrl })
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
