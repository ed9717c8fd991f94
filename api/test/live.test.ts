import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestContext, type TestContext, type Results } from './support/context.ts'
import { openSse } from '@votelab/testkit/sse'
import type { HttpListener } from '../src/http-server.ts'

let ctx: TestContext
let server: HttpListener
beforeAll(async () => {
  ctx = await createTestContext({ SSE_HEARTBEAT_MS: '300' })
  server = await ctx.listen()
})
afterAll(() => ctx.close())

describe('live results over Server-Sent Events', () => {
  it('sends the tally at once, then again after a vote', async () => {
    const { pollId, optionIds } = await ctx.openPoll()
    const stream = await openSse(`${server.url}/api/polls/${pollId}/results/stream`)
    try {
      const first = await stream.next<Results>('results')
      expect(first).toMatchObject({ pollId, status: 'open', totalVotes: 0 })

      const vote = await fetch(`${server.url}/api/polls/${pollId}/votes`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${await ctx.voterToken('sse-voter')}`,
          'content-type': 'application/json',
        },
        body: JSON.stringify({ optionId: optionIds[2] }),
      })
      expect(vote.status).toBe(201)
      const update = await stream.next<Results>('results', (r) => r.totalVotes === 1)
      expect(update.options.map((o) => o.votes)).toEqual([0, 0, 1])
    } finally {
      stream.close()
    }
  })

  it('coalesces a burst of votes and never drops the final state', async () => {
    const { pollId, optionIds } = await ctx.openPoll()
    const loads: string[] = []
    const stream = await openSse(`${server.url}/api/polls/${pollId}/results/stream`)
    try {
      await stream.next<Results>('results')
      const tokens = await Promise.all(
        Array.from({ length: 120 }, (_, i) => ctx.voterToken(`burst-${i}`)),
      )
      await Promise.all(
        tokens.map((token) =>
          ctx.call('POST', `/api/polls/${pollId}/votes`, {
            token,
            body: { optionId: optionIds[0] },
          }),
        ),
      )
      const final = await stream.next<Results>('results', (r) => {
        loads.push(String(r.totalVotes))
        return r.totalVotes === 120
      })
      expect(final.totalVotes).toBe(120)
      // 120 votes in well under a second, 50 ms coalescing: far fewer events than votes.
      expect(loads.length).toBeLessThan(40)
    } finally {
      stream.close()
    }
  })

  it('with frames=counts, sends numbers only between full snapshots, and a full one when the status changes', async () => {
    const { pollId, optionIds } = await ctx.openPoll()
    const stream = await openSse(`${server.url}/api/polls/${pollId}/results/stream?frames=counts`)
    try {
      const first = await stream.next<Results>('results')
      expect(first).toMatchObject({ pollId, status: 'open', totalVotes: 0 })
      const vote = await ctx.call('POST', `/api/polls/${pollId}/votes`, {
        token: await ctx.voterToken('counts-voter'),
        body: { optionId: optionIds[2] },
      })
      expect(vote.status).toBe(201)
      const counts = await stream.next<Record<string, unknown>>('counts', (c) => c.totalVotes === 1)
      expect(counts).toEqual({
        totalVotes: 1,
        votes: [0, 0, 1],
        ballots: 1,
        asOf: expect.any(String) as unknown,
      })
      // What the frame is for (decision 020): a fraction of the bytes of a full snapshot.
      expect(JSON.stringify(counts).length * 3).toBeLessThan(JSON.stringify(first).length)
      await ctx.call('POST', `/api/polls/${pollId}/close`, { token: await ctx.adminToken() })
      const closed = await stream.next<Results>('results', (r) => r.status === 'closed')
      expect(closed.options.map((o) => o.votes)).toEqual([0, 0, 1])
    } finally {
      stream.close()
    }
  })

  it('refuses a frames value it does not know, as a 400', async () => {
    const { pollId } = await ctx.openPoll()
    const response = await fetch(`${server.url}/api/polls/${pollId}/results/stream?frames=all`)
    expect(response.status).toBe(400)
    expect(await response.json()).toMatchObject({ error: { code: expect.any(String) as unknown } })
  })

  it('announces status changes and sends heartbeats', async () => {
    const { pollId } = await ctx.openPoll()
    const stream = await openSse(`${server.url}/api/polls/${pollId}/results/stream`)
    try {
      await stream.next<Results>('results')
      await ctx.call('POST', `/api/polls/${pollId}/close`, { token: await ctx.adminToken() })
      expect((await stream.next<Results>('results', (r) => r.status === 'closed')).status).toBe(
        'closed',
      )
      await new Promise((resolve) => setTimeout(resolve, 700))
      expect(stream.comments).toContain('heartbeat')
    } finally {
      stream.close()
    }
  })

  it('shows watchers arriving together one shared tally, not a query each', async () => {
    const { pollId } = await ctx.openPoll()
    const streams = await Promise.all(
      Array.from({ length: 15 }, () => openSse(`${server.url}/api/polls/${pollId}/results/stream`)),
    )
    try {
      const firsts = await Promise.all(streams.map((stream) => stream.next<Results>('results')))
      // One load stamps one asOf; a load per watcher would stamp many.
      expect(new Set(firsts.map((first) => first.asOf)).size).toBeLessThanOrEqual(2)
      expect(firsts.every((first) => first.pollId === pollId && first.totalVotes === 0)).toBe(true)
    } finally {
      for (const stream of streams) stream.close()
    }
  })

  it('answers 404 JSON, not a stream, for an unknown poll', async () => {
    const response = await fetch(
      `${server.url}/api/polls/00000000-0000-4000-8000-00000000f00d/results/stream`,
    )
    expect(response.status).toBe(404)
    expect(response.headers.get('content-type')).toContain('application/json')
  })

  it('forgets watchers that disconnect', async () => {
    const { pollId } = await ctx.openPoll()
    const before = ctx.runtime.hub.watcherCount
    const stream = await openSse(`${server.url}/api/polls/${pollId}/results/stream`)
    await stream.next('results')
    expect(ctx.runtime.hub.watcherCount).toBe(before + 1)
    stream.close()
    await expect.poll(() => ctx.runtime.hub.watcherCount).toBe(before)
  })

  it('ends open streams cleanly at shutdown', async () => {
    const { pollId } = await ctx.openPoll()
    const stream = await openSse(`${server.url}/api/polls/${pollId}/results/stream`)
    await stream.next('results')
    const started = Date.now()
    await server.close()
    await stream.ended
    expect(Date.now() - started).toBeLessThan(2_000)
  })
})
