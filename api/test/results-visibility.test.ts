import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openSse } from '@votelab/testkit/sse'
import type { HttpListener } from '../src/http-server.ts'
import {
  bodyOf,
  createTestContext,
  type ErrorAnswer,
  type Results,
  type TestContext,
} from './support/context.ts'

let ctx: TestContext
let server: HttpListener
let admin: string
beforeAll(async () => {
  ctx = await createTestContext({ SSE_HEARTBEAT_MS: '300' })
  server = await ctx.listen()
  admin = await ctx.adminToken()
})
afterAll(() => ctx.close())

async function vote(pollId: string, optionId: string | undefined, voter: string) {
  expect((await ctx.castVote(await ctx.voterToken(voter), pollId, optionId)).status).toBe(201)
}

const results = (pollId: string, token?: string) => ctx.results(pollId, token)

describe('results visibility', () => {
  it('is live unless the admin chooses otherwise, and says so on the poll', async () => {
    const { pollId, optionIds } = await ctx.openPoll(['Yes', 'No'])
    const poll = await bodyOf(
      await ctx.client().api.polls[':pollId'].$get({ param: { pollId } }),
      200,
    )
    expect(poll.resultsVisibility).toBe('live')
    await vote(pollId, optionIds[0], 'live-1')
    const tally = await results(pollId)
    expect(tally).toMatchObject({ resultsVisibility: 'live', totalVotes: 1 })
    expect(tally.options.map((o) => o.votes)).toEqual([1, 0])
  })

  it('shows only the turnout of an after_close poll while it is open — to admins too — then everything', async () => {
    const { pollId, optionIds } = await ctx.openPoll(['Yes', 'No', 'Maybe'], {
      resultsVisibility: 'after_close',
    })
    await vote(pollId, optionIds[1], 'hidden-1')
    await vote(pollId, optionIds[1], 'hidden-2')
    for (const token of [undefined, admin]) {
      const open = await results(pollId, token)
      expect(open).toMatchObject({
        status: 'open',
        resultsVisibility: 'after_close',
        totalVotes: 2,
      })
      expect(open.options.map((o) => o.votes)).toEqual([null, null, null])
    }
    const list = await bodyOf(await ctx.client().api.polls.$get({ query: { status: 'open' } }), 200)
    expect(list.polls.find((p) => p.id === pollId)).toMatchObject({
      resultsVisibility: 'after_close',
      totalVotes: 2,
    })

    await ctx.client(admin).api.polls[':pollId'].close.$post({ param: { pollId } })
    const closed = await results(pollId)
    expect(closed).toMatchObject({ status: 'closed', totalVotes: 2 })
    expect(closed.options.map((o) => o.votes)).toEqual([0, 2, 0])
    expect(closed.chain).toMatchObject({ length: 2 })
  })

  it('streams turnout only while an after_close poll is open, and the tally once it closes', async () => {
    const { pollId, optionIds } = await ctx.openPoll(['Yes', 'No'], {
      resultsVisibility: 'after_close',
    })
    const stream = await openSse(`${server.url}/api/polls/${pollId}/results/stream`)
    try {
      const first = await stream.next<Results>('results')
      expect(first.options.map((o) => o.votes)).toEqual([null, null])
      await vote(pollId, optionIds[0], 'streamed-1')
      const update = await stream.next<Results>('results', (r) => r.totalVotes === 1)
      expect(update.options.map((o) => o.votes)).toEqual([null, null])
      await ctx.client(admin).api.polls[':pollId'].close.$post({ param: { pollId } })
      const final = await stream.next<Results>('results', (r) => r.status === 'closed')
      expect(final.options.map((o) => o.votes)).toEqual([1, 0])
    } finally {
      stream.close()
    }
  })

  it('refuses anything but live or after_close', async () => {
    for (const resultsVisibility of ['hidden', '', null, 1, 'LIVE']) {
      const response = await ctx.call('POST', '/api/polls', {
        token: admin,
        body: { title: 'Bad visibility', options: ['a', 'b'], resultsVisibility },
      })
      expect(response.status, String(resultsVisibility)).toBe(400)
      const { error } = (await response.json()) as ErrorAnswer
      expect(error.code).toBe('validation_failed')
      expect(error.details?.[0]).toMatchObject({
        path: 'resultsVisibility',
        message: 'must be "live" or "after_close"',
      })
    }
  })
})
