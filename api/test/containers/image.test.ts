import { randomUUID } from 'node:crypto'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestDatabase, type TestDatabase } from '../support/databases.ts'
import { openSse } from '@votelab/testkit/sse'
import {
  buildImage,
  docker,
  imageBytes,
  runApi,
  tokens,
  type Container,
} from '@votelab/testkit/docker'

/**
 * The API image for real (issue 15): built from api/Dockerfile by Debian's Docker engine, run the
 * hardened way — read-only root, uid 1000, no capabilities, no new privileges, only the data
 * volume and /tmp writable — on Postgres and on its embedded PGlite. Sizes and build times are
 * printed, not asserted, except the budget for what the app adds to its base.
 */

const IMAGE = 'votelab-api:test'
const BASE = 'node:24-bookworm-slim'
/** What the app may add to the Node base: dependencies (PGlite is 27 MB of it), sources, page. */
const APP_BUDGET_MB = 80

const json = { 'content-type': 'application/json' }

async function client(container: Container) {
  const [adminToken] = await tokens(container, 'container-admin', { admin: true })
  const admin = `Bearer ${adminToken ?? ''}`
  const voters: string[] = []
  return {
    /** Mints `count` voters' tokens at once (one `node` start in the container). */
    async voters(count: number) {
      voters.push(...(await tokens(container, `voter-${randomUUID()}`, { count })))
    },
    async openPoll(): Promise<{ pollId: string; optionIds: string[] }> {
      const created = await fetch(`${container.url}/api/polls`, {
        method: 'POST',
        headers: { ...json, authorization: admin },
        body: JSON.stringify({ title: 'In a container', options: ['Yes', 'No'] }),
      })
      expect(created.status).toBe(201)
      const poll = (await created.json()) as { id: string; options: { id: string }[] }
      const opened = await fetch(`${container.url}/api/polls/${poll.id}/open`, {
        method: 'POST',
        headers: { authorization: admin },
      })
      expect(opened.status).toBe(200)
      return { pollId: poll.id, optionIds: poll.options.map((option) => option.id) }
    },
    /** One voter's vote: the receipt's tracker, or the status when not acknowledged. */
    async vote(pollId: string, optionId: string) {
      const token = voters.pop()
      if (!token) throw new Error('no voter left: call voters(n) first')
      const response = await fetch(`${container.url}/api/polls/${pollId}/votes`, {
        method: 'POST',
        headers: { ...json, authorization: `Bearer ${token}`, 'idempotency-key': randomUUID() },
        body: JSON.stringify({ optionId }),
        signal: AbortSignal.timeout(10_000),
      })
      if (response.status !== 201) return { status: response.status, tracker: undefined }
      const { receipt } = (await response.json()) as { receipt: { tracker: string } }
      return { status: 201, tracker: receipt.tracker }
    },
  }
}

let database: TestDatabase
const containers: Container[] = []

beforeAll(async () => {
  const cold = await buildImage(IMAGE)
  const warm = await buildImage(IMAGE)
  const base = await imageBytes(BASE)
  const image = await imageBytes(IMAGE)
  console.log('image:', {
    firstBuildSeconds: Number(cold.toFixed(1)),
    rebuildWithCacheSeconds: Number(warm.toFixed(1)),
    imageMB: Math.round(image / 1e6),
    baseMB: Math.round(base / 1e6),
    appMB: Math.round((image - base) / 1e6),
  })
  database = await createTestDatabase()
}, 600_000)

afterAll(async () => {
  for (const container of containers) await container.remove()
  await database.drop()
})

describe('the API image', () => {
  it(`adds at most ${String(APP_BUDGET_MB)} MB to its Node base`, async () => {
    const added = (await imageBytes(IMAGE)) - (await imageBytes(BASE))
    expect(added / 1e6).toBeLessThan(APP_BUDGET_MB)
  })

  it('runs read-only, as uid 1000, without capabilities, on Postgres: health, readiness, the page, a vote, live results', async () => {
    const container = await runApi({ image: IMAGE, env: { DATABASE_URL: String(database.url) } })
    containers.push(container)

    expect(await docker('exec', container.id, 'id', '-u')).toBe('1000')
    expect(
      await docker(
        'inspect',
        '--format',
        '{{.HostConfig.ReadonlyRootfs}} {{.HostConfig.CapDrop}} {{.HostConfig.SecurityOpt}}',
        container.id,
      ),
    ).toBe('true [ALL] [no-new-privileges]')
    await expect(docker('exec', container.id, 'touch', '/app/api/written')).rejects.toThrow()

    expect((await fetch(`${container.url}/healthz`)).status).toBe(200)
    expect((await fetch(`${container.url}/readyz`)).status).toBe(200)
    const page = await fetch(`${container.url}/`)
    expect(page.status).toBe(200)
    expect(await page.text()).toContain('<title>')

    const api = await client(container)
    const { pollId, optionIds } = await api.openPoll()
    const stream = await openSse(`${container.url}/api/polls/${pollId}/results/stream`)
    try {
      await stream.next('results')
      await api.voters(1)
      const vote = await api.vote(pollId, optionIds[0] ?? '')
      expect(vote.status).toBe(201)
      const update = await stream.next<{ totalVotes: number }>(
        'results',
        (results) => results.totalVotes === 1,
      )
      expect(update.totalVotes).toBe(1)
    } finally {
      stream.close()
    }
  })

  it('turns healthy by its own HEALTHCHECK', async () => {
    const container = containers[0] as Container
    const deadline = Date.now() + 45_000
    let health = await container.health()
    while (health !== 'healthy' && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 1_000))
      health = await container.health()
    }
    expect(health).toBe('healthy')
  }, 60_000)

  it('drains on SIGTERM within the stop timeout: exit 0, every acknowledged vote counted', async () => {
    const container = containers[0] as Container
    const api = await client(container)
    const { pollId, optionIds } = await api.openPoll()
    await api.voters(200)
    const voting = Array.from({ length: 200 }, (_, i) =>
      api.vote(pollId, optionIds[i % 2] ?? '').catch(() => ({ status: 0, tracker: undefined })),
    )
    await new Promise((resolve) => setTimeout(resolve, 150))
    const stopped = await container.stop(15)
    const results = await Promise.all(voting)
    const acknowledged = results.flatMap((result) => (result.tracker ? [result.tracker] : []))
    console.log('SIGTERM drain:', {
      seconds: Number(stopped.seconds.toFixed(2)),
      acknowledged: acknowledged.length,
      refused: results.length - acknowledged.length,
    })
    expect(stopped.exitCode).toBe(0)
    expect(stopped.seconds).toBeLessThan(15)
    expect(acknowledged.length).toBeGreaterThan(0)

    const db = new pg.Client({ connectionString: String(database.url) })
    await db.connect()
    try {
      const { rows } = await db.query<{ tracker: string }>(
        'select tracker from ballots where poll_id = $1',
        [pollId],
      )
      const stored = new Set(rows.map((row) => row.tracker))
      expect(acknowledged.filter((tracker) => !stored.has(tracker))).toEqual([])
    } finally {
      await db.end()
    }
  })

  it('runs on its embedded PGlite with only the data volume writable', async () => {
    const container = await runApi({ image: IMAGE })
    containers.push(container)
    expect((await fetch(`${container.url}/readyz`)).status).toBe(200)
    const api = await client(container)
    const { pollId, optionIds } = await api.openPoll()
    await api.voters(1)
    expect((await api.vote(pollId, optionIds[1] ?? '')).status).toBe(201)
    const stopped = await container.stop(15)
    expect(stopped.exitCode).toBe(0)
  }, 120_000)
})
