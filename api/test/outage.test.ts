import { pino } from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createLocalIssuer, type LocalIssuer } from '../src/auth/local-issuer.ts'
import { ADMIN_GROUP } from '../src/auth/verify.ts'
import { openPostgres } from '../src/db/client.ts'
import { listen, type HttpListener } from '../src/http-server.ts'
import { createRuntime, type Runtime } from '../src/runtime.ts'
import { type ErrorAnswer, TEST_ISSUER, testConfig } from './support/context.ts'
import { createTestDatabase, onPostgres, type TestDatabase } from './support/databases.ts'
import { openSse } from '@votelab/testkit/sse'
import { startTcpProxy, type TcpProxy } from '@votelab/testkit/tcp-proxy'

// PGlite lives inside the process and cannot go away on its own: this is about a real server.
describe.runIf(onPostgres)('when the database goes away and comes back', () => {
  let testDatabase: TestDatabase
  let proxy: TcpProxy
  let runtime: Runtime
  let server: HttpListener
  let issuer: LocalIssuer

  beforeAll(async () => {
    testDatabase = await createTestDatabase()
    const target = new URL(testDatabase.url ?? '')
    proxy = await startTcpProxy(target.hostname, Number(target.port || 5432))
    const viaProxy = new URL(target)
    viaProxy.hostname = '127.0.0.1'
    viaProxy.port = String(proxy.port)
    const config = testConfig({ DATABASE_URL: viaProxy.toString() })
    if (config.database.kind !== 'postgres') throw new Error('expected postgres config')
    const logger = pino({ level: 'silent' })
    issuer = await createLocalIssuer(TEST_ISSUER)
    runtime = await createRuntime(config, logger, {
      database: await openPostgres(config.database, logger),
      localIssuer: issuer,
    })
    server = await listen(runtime, config, logger)
  })
  afterAll(async () => {
    await server.close()
    await runtime.close()
    await proxy.close()
    await testDatabase.drop()
  })

  const call = async (
    path: string,
    init: { method?: string; sub?: string; admin?: boolean; body?: unknown } = {},
  ) => {
    const token = init.sub
      ? await issuer.mintAccessToken({ sub: init.sub, groups: init.admin ? [ADMIN_GROUP] : [] })
      : undefined
    return fetch(`${server.url}${path}`, {
      method: init.method ?? 'GET',
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        'content-type': 'application/json',
      },
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
      signal: AbortSignal.timeout(8_000),
    })
  }

  it('answers 503 with Retry-After quickly, then recovers: readiness, votes and live updates', async () => {
    const created = (await (
      await call('/api/polls', {
        method: 'POST',
        sub: 'admin',
        admin: true,
        body: { title: 'Outage', options: ['a', 'b'] },
      })
    ).json()) as { id: string; options: { id: string }[] }
    await call(`/api/polls/${created.id}/open`, { method: 'POST', sub: 'admin', admin: true })
    const optionId = created.options[0]?.id
    const watcher = await openSse(`${server.url}/api/polls/${created.id}/results/stream`)
    await watcher.next('results')
    expect((await call('/readyz')).status).toBe(200)

    proxy.down()
    const started = Date.now()
    const ready = await call('/readyz')
    expect(ready.status).toBe(503)
    const vote = await call(`/api/polls/${created.id}/votes`, {
      method: 'POST',
      sub: 'during-outage',
      body: { optionId },
    })
    expect(vote.status).toBe(503)
    expect(vote.headers.get('retry-after')).toBe('2')
    expect(((await vote.json()) as ErrorAnswer).error.code).toBe('service_unavailable')
    expect(Date.now() - started).toBeLessThan(5_000) // no hanging requests
    expect((await call('/healthz')).status).toBe(200) // alive, just not ready

    proxy.up()
    const back = Date.now()
    await expect
      .poll(async () => (await call('/readyz')).status, { timeout: 5_000, interval: 100 })
      .toBe(200)
    // Nothing from the outage was counted, so the same voter may now vote.
    await expect
      .poll(
        async () =>
          (
            await call(`/api/polls/${created.id}/votes`, {
              method: 'POST',
              sub: 'during-outage',
              body: { optionId },
            })
          ).status,
        { timeout: 5_000, interval: 100 },
      )
      .toBe(201)
    expect(Date.now() - back).toBeLessThan(5_000)
    // The listening connection came back too: the watcher sees the vote without reconnecting.
    expect(
      (await watcher.next<{ totalVotes: number }>('results', (r) => r.totalVotes === 1, 5_000))
        .totalVotes,
    ).toBe(1)
    watcher.close()
  })
})
