import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestContext, type ErrorAnswer, type TestContext } from './support/context.ts'
import { onPostgres } from './support/databases.ts'

describe('write rate limits', () => {
  let ctx: TestContext
  beforeAll(async () => {
    ctx = await createTestContext({
      RATE_LIMIT_VOTER_WRITES_PER_MINUTE: '5',
      RATE_LIMIT_ADDRESS_WRITES_PER_MINUTE: '8',
      TRUST_PROXY_HOPS: '1',
    })
  })
  afterAll(() => ctx.close())

  const vote = (pollId: string, token: string, address: string) =>
    ctx.call('POST', `/api/polls/${pollId}/votes`, {
      token,
      body: { optionId: '00000000-0000-4000-8000-000000000000' },
      headers: { 'x-forwarded-for': address },
    })

  it('answers 429 with Retry-After to a voter writing faster than a person, and only to them', async () => {
    const { pollId } = await ctx.openPoll() // the admin's writes come from "unknown"
    const eager = await ctx.voterToken('eager-eve')
    const statuses = []
    for (let i = 0; i < 7; i += 1)
      statuses.push((await vote(pollId, eager, `10.0.0.${String(i)}`)).status)
    expect(statuses).toEqual([400, 400, 400, 400, 400, 429, 429])
    const limited = await vote(pollId, eager, '10.0.1.1')
    expect(limited.headers.get('retry-after')).toMatch(/^[1-9]\d*$/)
    expect(((await limited.json()) as ErrorAnswer).error.code).toBe('rate_limited')
    // Someone else, from another address, is not affected; reads are never limited.
    expect((await vote(pollId, await ctx.voterToken('calm-carl'), '10.0.2.1')).status).toBe(400)
    expect((await ctx.call('GET', `/api/polls/${pollId}`, { token: eager })).status).toBe(200)
  })

  it('limits an address across voters, trusting only the proxy-written end of X-Forwarded-For', async () => {
    const { pollId } = await ctx.openPoll()
    const statuses = []
    for (let i = 0; i < 10; i += 1) {
      // The client can prepend anything; the entry our proxy appended is what counts.
      const token = await ctx.voterToken(`dorm-${String(i)}`)
      statuses.push((await vote(pollId, token, `198.51.100.${String(i)}, 203.0.113.7`)).status)
    }
    expect(statuses.filter((s) => s === 429)).toHaveLength(2)
    expect(statuses.slice(0, 8).every((s) => s === 400)).toBe(true)
    const neighbour = await vote(pollId, await ctx.voterToken('neighbour'), '203.0.113.8')
    expect(neighbour.status).toBe(400)
  })
})

describe('shedding votes the database cannot take', () => {
  let ctx: TestContext
  beforeAll(async () => {
    ctx = await createTestContext({ VOTE_QUEUE_MAX: '3', VOTE_QUEUE_WAIT_MS: '150' })
  })
  afterAll(() => ctx.close())

  it('refuses votes beyond the queue at once, writes nothing for them, and takes them afterwards', async () => {
    const { pollId, optionIds } = await ctx.openPoll()
    const box = ctx.runtime.ballotBox
    // Ten votes in one tick: two statements start, three wait (VOTE_QUEUE_MAX), five are refused.
    const outcomes = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        box.cast({ pollId, optionId: optionIds[0] as string, voterSub: `tick-${String(i)}` }),
      ),
    )
    expect(outcomes.map((o) => (o.ok ? 'cast' : o.reason))).toEqual([
      ...Array<string>(5).fill('cast'),
      ...Array<string>(5).fill('overloaded'),
    ])
    const voters = await ctx.runtime.database.db
      .selectFrom('participation')
      .select('voter_sub')
      .where('poll_id', '=', pollId)
      .orderBy('voter_sub')
      .execute()
    expect(voters.map((v) => v.voter_sub)).toEqual([
      'tick-0',
      'tick-1',
      'tick-2',
      'tick-3',
      'tick-4',
    ])
    const later = await box.cast({ pollId, optionId: optionIds[0] as string, voterSub: 'tick-9' })
    expect(later.ok).toBe(true)
  })

  it.runIf(onPostgres)(
    'answers a crowd with 201 or 503 overloaded (Retry-After), counts exactly the 201s, then recovers',
    async () => {
      const { pollId, optionIds } = await ctx.openPoll()
      const tokens = await Promise.all(
        Array.from({ length: 300 }, (_, i) => ctx.voterToken(`crowd-${String(i)}`)),
      )
      const responses = await Promise.all(
        tokens.map((token) =>
          ctx.call('POST', `/api/polls/${pollId}/votes`, {
            token,
            body: { optionId: optionIds[0] },
          }),
        ),
      )
      const statuses = responses.map((r) => r.status)
      const shed = responses.filter((r) => r.status === 503)
      expect(statuses.every((s) => s === 201 || s === 503)).toBe(true)
      expect(shed.length).toBeGreaterThan(0)
      for (const response of shed) {
        expect(response.headers.get('retry-after')).toBe('1')
        expect(((await response.json()) as ErrorAnswer).error.code).toBe('overloaded')
      }
      // Exactly the acknowledged votes were counted; the shed ones may simply retry.
      const counted = statuses.filter((s) => s === 201).length
      expect((await ctx.results(pollId)).totalVotes).toBe(counted)
      const retry = await ctx.call('POST', `/api/polls/${pollId}/votes`, {
        token: tokens[statuses.indexOf(503)] as string,
        body: { optionId: optionIds[0] },
      })
      expect(retry.status).toBe(201)
    },
  )

  it.runIf(onPostgres)(
    'refuses votes that waited longer than VOTE_QUEUE_WAIT_MS instead of writing them late',
    async () => {
      const { pollId, optionIds } = await ctx.openPoll()
      // Another session holds the poll row: the statements in flight wait, the queue builds up.
      const blocker = new pg.Client({ connectionString: ctx.testDatabase.url })
      await blocker.connect()
      await blocker.query('begin')
      await blocker.query('select 1 from polls where id = $1 for update', [pollId])
      const tokens = await Promise.all(
        Array.from({ length: 12 }, (_, i) => ctx.voterToken(`queued-${String(i)}`)),
      )
      const pending = tokens.map((token) =>
        ctx.call('POST', `/api/polls/${pollId}/votes`, { token, body: { optionId: optionIds[1] } }),
      )
      await new Promise((resolve) => setTimeout(resolve, 400))
      await blocker.query('commit')
      await blocker.end()
      const statuses = (await Promise.all(pending)).map((r) => r.status)
      // Two statements were already in flight (and commit now); everything queued behind them
      // waited past the limit.
      expect(statuses.filter((s) => s === 201).length).toBeGreaterThanOrEqual(1)
      expect(statuses.filter((s) => s === 503).length).toBeGreaterThanOrEqual(8)
      expect((await ctx.results(pollId)).totalVotes).toBe(statuses.filter((s) => s === 201).length)
    },
  )
})

describe.runIf(onPostgres)('read timeouts', () => {
  let ctx: TestContext
  beforeAll(async () => {
    ctx = await createTestContext({ REQUEST_TIMEOUT_MS: '300' })
  })
  afterAll(() => ctx.close())

  it('answers 503 timeout with Retry-After when a read cannot finish in time', async () => {
    await ctx.openPoll()
    const blocker = new pg.Client({ connectionString: ctx.testDatabase.url })
    await blocker.connect()
    await blocker.query('begin')
    await blocker.query('lock table polls in access exclusive mode')
    try {
      const started = performance.now()
      const response = await ctx.call('GET', '/api/polls')
      const elapsed = performance.now() - started
      expect(response.status).toBe(503)
      expect(response.headers.get('retry-after')).toBe('1')
      expect(((await response.json()) as ErrorAnswer).error.code).toBe('timeout')
      expect(elapsed).toBeLessThan(2_000)
    } finally {
      await blocker.query('rollback')
      await blocker.end()
    }
    expect((await ctx.call('GET', '/api/polls')).status).toBe(200)
  })
})
