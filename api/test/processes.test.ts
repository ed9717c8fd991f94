import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadLocalIssuer, type LocalIssuer } from '../src/auth/local-issuer.ts'
import { ADMIN_GROUP } from '../src/auth/verify.ts'
import { createTestDatabase, onPostgres, type TestDatabase } from './support/databases.ts'
import type { Results } from './support/context.ts'
import { startApiProcess, type ApiProcess } from './support/processes.ts'
import { openSse } from '@votelab/testkit/sse'

const ISSUER_URL = 'http://localhost:3000'

let testDatabase: TestDatabase
let dataDir: string
let issuer: LocalIssuer
const processes: ApiProcess[] = []

beforeAll(async () => {
  testDatabase = await createTestDatabase()
  dataDir = mkdtempSync(join(tmpdir(), 'votelab-proc-'))
  issuer = await loadLocalIssuer(`${ISSUER_URL}/auth`, dataDir)
})
afterAll(async () => {
  for (const api of processes) api.child.kill('SIGKILL')
  await testDatabase.drop()
  rmSync(dataDir, { recursive: true, force: true })
})

/** An API process on this file's database, sharing the issuer key (as replicas share Cognito). */
async function start(): Promise<ApiProcess> {
  const api = await startApiProcess({
    PUBLIC_URL: ISSUER_URL,
    DATA_DIR: dataDir,
    RESULTS_COALESCE_MS: '50',
    ...(testDatabase.url ? { DATABASE_URL: testDatabase.url } : {}),
  })
  processes.push(api)
  return api
}

async function createOpenPoll(api: ApiProcess) {
  const token = await issuer.mintAccessToken({ sub: 'admin', groups: [ADMIN_GROUP] })
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' }
  const created = await fetch(`${api.url}/api/polls`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ title: 'Across processes', options: ['a', 'b'] }),
  })
  const poll = (await created.json()) as { id: string; options: { id: string }[] }
  await fetch(`${api.url}/api/polls/${poll.id}/open`, { method: 'POST', headers })
  return { pollId: poll.id, optionIds: poll.options.map((o) => o.id) }
}

async function voteVia(api: ApiProcess, pollId: string, optionId: string | undefined, sub: string) {
  return fetch(`${api.url}/api/polls/${pollId}/votes`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${await issuer.mintAccessToken({ sub })}`,
      'content-type': 'application/json',
    },
    body: JSON.stringify({ optionId }),
  })
}

describe('the API as real processes', () => {
  it.runIf(onPostgres)(
    'delivers a vote cast through one process to a watcher on another',
    async () => {
      const [first, second] = await Promise.all([start(), start()])
      if (!first || !second) throw new Error('unreachable')
      const { pollId, optionIds } = await createOpenPoll(first)
      const watcher = await openSse(`${second.url}/api/polls/${pollId}/results/stream`)
      try {
        expect((await watcher.next<Results>('results')).totalVotes).toBe(0)
        expect((await voteVia(first, pollId, optionIds[0], 'cross-voter')).status).toBe(201)
        expect((await watcher.next<Results>('results', (r) => r.totalVotes === 1)).totalVotes).toBe(
          1,
        )
        // And the one-vote rule holds across processes.
        expect((await voteVia(second, pollId, optionIds[1], 'cross-voter')).status).toBe(409)
      } finally {
        watcher.close()
        first.child.kill('SIGTERM')
        second.child.kill('SIGTERM')
        await Promise.all([first.exited, second.exited])
      }
    },
  )

  it('on SIGTERM finishes in-flight votes, ends streams and exits 0 within 10 s', async () => {
    const api = await start()
    const { pollId, optionIds } = await createOpenPoll(api)
    const watcher = await openSse(`${api.url}/api/polls/${pollId}/results/stream`)
    await watcher.next('results')
    const votes = Array.from({ length: 30 }, (_, i) =>
      voteVia(api, pollId, optionIds[0], `leaving-${i}`).then(
        (r) => r.status,
        () => 'network error',
      ),
    )
    await new Promise((resolve) => setTimeout(resolve, 20))
    const started = Date.now()
    api.child.kill('SIGTERM')
    const [code, statuses] = await Promise.all([api.exited, Promise.all(votes), watcher.ended])
    expect(code).toBe(0)
    expect(Date.now() - started).toBeLessThan(10_000)
    // Every vote either got its answer before the server went away or was refused a connection.
    const acknowledged = statuses.filter((s) => s === 201).length
    expect(statuses.every((s) => s === 201 || s === 'network error')).toBe(true)

    // Whatever was acknowledged is counted — check with a fresh process on the same database.
    const after = await start()
    const results = (await (
      await fetch(`${after.url}/api/polls/${pollId}/results`)
    ).json()) as Results
    expect(results.totalVotes).toBe(acknowledged)
    after.child.kill('SIGTERM')
    expect(await after.exited).toBe(0)
  })

  it('exits 1 with a clear message on bad configuration', async () => {
    await expect(startApiProcess({ PORT: 'eighty', DATABASE_URL: 'mysql://nope' })).rejects.toThrow(
      /exited with 1[\s\S]*PORT[\s\S]*DATABASE_URL/,
    )
  })
})
