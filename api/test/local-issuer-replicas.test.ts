import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { jwtVerify } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadLocalIssuer, loadOrCreateSecret } from '../src/auth/local-issuer.ts'
import type { DatabaseHandle } from '../src/db/client.ts'
import { migrateToLatest } from '../src/db/migrate.ts'
import { createTestDatabase, type TestDatabase } from './support/databases.ts'

/**
 * Replicas of the local sign-in provider that share a database but not a disk — pods of a
 * Deployment (deploy/kubernetes), containers scaled by compose — must sign and check with one
 * key, or a token from one is refused by the next. The first to start publishes its key; the
 * others adopt it, into their own data dirs too.
 */
describe('the local issuer across replicas', () => {
  let testDatabase: TestDatabase
  let database: DatabaseHandle
  beforeAll(async () => {
    testDatabase = await createTestDatabase()
    database = await testDatabase.open()
    await migrateToLatest(database.db)
  })
  afterAll(async () => {
    await database.close()
    await testDatabase.drop()
  })

  const freshDataDir = () => mkdtempSync(join(tmpdir(), 'votelab-replica-'))
  const ISSUER = 'http://localhost:8080/auth'

  it('signs with one key on every replica, whichever started first', async () => {
    const [first, second] = [freshDataDir(), freshDataDir()]
    const one = await loadLocalIssuer(ISSUER, first, database.db)
    const two = await loadLocalIssuer(ISSUER, second, database.db)
    expect(two.signingKey.kid).toBe(one.signingKey.kid)
    // A token from one replica is good on the other.
    const token = await one.mintAccessToken({ sub: 'ada' })
    const { payload } = await jwtVerify(token, two.keys, { issuer: ISSUER })
    expect(payload.sub).toBe('ada')
    // The second's own copy now holds the shared key: `pnpm token` there signs with it.
    const copy = JSON.parse(
      readFileSync(join(second, 'auth', 'local-issuer-key.json'), 'utf8'),
    ) as {
      kid: string
    }
    expect(copy.kid).toBe(one.signingKey.kid)
    // A restart keeps it.
    expect((await loadLocalIssuer(ISSUER, second, database.db)).signingKey.kid).toBe(
      one.signingKey.kid,
    )
  })

  it('shares the sign-in cookie secret the same way', async () => {
    const [first, second] = [freshDataDir(), freshDataDir()]
    const a = await loadOrCreateSecret(first, 'sign-in-secret', database.db)
    const b = await loadOrCreateSecret(second, 'sign-in-secret', database.db)
    expect(b).toBe(a)
    expect(a.length).toBeGreaterThanOrEqual(40)
  })

  it('keeps a laptop’s own key where there is no shared database', async () => {
    const dir = freshDataDir()
    const alone = await loadLocalIssuer(ISSUER, dir)
    expect((await loadLocalIssuer(ISSUER, dir)).signingKey.kid).toBe(alone.signingKey.kid)
  })
})
