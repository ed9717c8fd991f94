import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { bodyOf, createTestContext, type ErrorAnswer, type TestContext } from './support/context.ts'

let ctx: TestContext
beforeAll(async () => {
  ctx = await createTestContext()
})
afterAll(() => ctx.close())

const vote = (pollId: string, optionId: string | undefined, token: string) =>
  ctx.castVote(token, pollId, optionId)
const results = (pollId: string) => ctx.results(pollId)

async function ballotCount(pollId: string): Promise<number> {
  const row = await ctx.runtime.database.db
    .selectFrom('ballots')
    .select(sql<number>`count(*)::int`.as('n'))
    .where('poll_id', '=', pollId)
    .executeTakeFirstOrThrow()
  return row.n
}

describe('casting a vote', () => {
  it('returns a receipt with a 128-bit tracker', async () => {
    const { pollId, optionIds } = await ctx.openPoll()
    const response = await vote(pollId, optionIds[1], await ctx.voterToken('receipt-voter'))
    expect(response.status).toBe(201)
    const { receipt } = await bodyOf(response, 201)
    expect(receipt.tracker).toMatch(/^[0-9a-f]{32}$/)
    expect(receipt.pollId).toBe(pollId)
    expect(Math.abs(Date.parse(receipt.castAt) - Date.now())).toBeLessThan(60_000)
  })

  it('stores no voter identity with the ballot', async () => {
    const { pollId, optionIds } = await ctx.openPoll()
    await vote(pollId, optionIds[0], await ctx.voterToken('secret-sam'))
    const ballot = await ctx.runtime.database.db
      .selectFrom('ballots')
      .selectAll()
      .where('poll_id', '=', pollId)
      .executeTakeFirstOrThrow()
    expect(JSON.stringify(ballot)).not.toContain('secret-sam')
    const participation = await ctx.runtime.database.db
      .selectFrom('participation')
      .selectAll()
      .where('poll_id', '=', pollId)
      .execute()
    expect(participation).toEqual([
      {
        poll_id: pollId,
        voter_sub: 'secret-sam',
        key_hash: null,
        sealed_receipt: null,
        mailbox: null,
      },
    ])
  })

  it('counts 50 concurrent votes by one voter exactly once', async () => {
    const { pollId, optionIds } = await ctx.openPoll()
    const token = await ctx.voterToken('eager-eve')
    const responses = await Promise.all(
      Array.from({ length: 50 }, (_, i) => vote(pollId, optionIds[i % 3], token)),
    )
    const statuses = responses.map((r) => r.status)
    expect(statuses.filter((s) => s === 201)).toHaveLength(1)
    expect(statuses.filter((s) => s === 409)).toHaveLength(49)
    const codes = await Promise.all(
      responses
        .filter((r) => r.status === 409)
        .map(async (r) => ((await r.json()) as ErrorAnswer).error.code),
    )
    expect(new Set(codes)).toEqual(new Set(['already_voted']))
    expect(await ballotCount(pollId)).toBe(1)
  })

  it('counts 200 distinct voters in parallel: tally 200, equal to the ballots stored', async () => {
    const { pollId, optionIds } = await ctx.openPoll()
    const tokens = await Promise.all(
      Array.from({ length: 200 }, (_, i) => ctx.voterToken(`crowd-${i}`)),
    )
    const responses = await Promise.all(
      tokens.map((token, i) => vote(pollId, optionIds[i % 3], token)),
    )
    expect(responses.every((r) => r.status === 201)).toBe(true)
    const trackers = new Set(
      await Promise.all(responses.map(async (r) => (await bodyOf(r, 201)).receipt.tracker)),
    )
    expect(trackers.size).toBe(200)

    const tally = await results(pollId)
    expect(tally.totalVotes).toBe(200)
    expect(tally.options.map((o) => o.votes)).toEqual([67, 67, 66])
    expect(await ballotCount(pollId)).toBe(200)
  })

  it('refuses votes on drafts and closed polls with 409 poll_not_open, and counts nothing', async () => {
    const admin = await ctx.adminToken()
    const draft = await bodyOf(
      await ctx.client(admin).api.polls.$post({ json: { title: 'd', options: ['a', 'b'] } }),
      201,
    )
    const onDraft = await vote(draft.id, draft.options[0]?.id, await ctx.voterToken('early'))
    expect(onDraft.status).toBe(409)
    expect(((await onDraft.json()) as ErrorAnswer).error.code).toBe('poll_not_open')

    const { pollId, optionIds } = await ctx.openPoll()
    await ctx.call('POST', `/api/polls/${pollId}/close`, { token: admin })
    const late = await vote(pollId, optionIds[0], await ctx.voterToken('late'))
    expect(late.status).toBe(409)
    expect(((await late.json()) as ErrorAnswer).error.code).toBe('poll_not_open')
    expect(await ballotCount(pollId)).toBe(0)
  })

  it('refuses votes that arrive after the poll closes, even while others are in flight', async () => {
    const { pollId, optionIds } = await ctx.openPoll()
    const admin = await ctx.adminToken()
    const tokens = await Promise.all(
      Array.from({ length: 60 }, (_, i) => ctx.voterToken(`racer-${i}`)),
    )
    const votes = tokens.map((token) => vote(pollId, optionIds[0], token))
    const close = ctx.call('POST', `/api/polls/${pollId}/close`, { token: admin })
    const responses = await Promise.all(votes)
    expect((await close).status).toBe(200)
    const accepted = responses.filter((r) => r.status === 201).length
    expect(responses.every((r) => r.status === 201 || r.status === 409)).toBe(true)
    // Whatever the interleaving, every acknowledged vote — and only those — is in the tally.
    const tally = await results(pollId)
    expect(tally.status).toBe('closed')
    expect(tally.totalVotes).toBe(accepted)
    expect(await ballotCount(pollId)).toBe(accepted)
  })

  it('rejects an option of another poll with 400, and counts nothing', async () => {
    const first = await ctx.openPoll()
    const second = await ctx.openPoll()
    const response = await vote(first.pollId, second.optionIds[0], await ctx.voterToken('confused'))
    expect(response.status).toBe(400)
    expect(((await response.json()) as ErrorAnswer).error.code).toBe('unknown_option')
    expect(await ballotCount(first.pollId)).toBe(0)
    // The voter may still vote properly afterwards: nothing was recorded.
    expect(
      (await vote(first.pollId, first.optionIds[0], await ctx.voterToken('confused'))).status,
    ).toBe(201)
  })

  it('404s a vote on a poll that does not exist', async () => {
    const response = await vote(
      '00000000-0000-4000-8000-00000000beef',
      '00000000-0000-4000-8000-000000000000',
      await ctx.voterToken('lost'),
    )
    expect(response.status).toBe(404)
  })

  it('rejects a vote without a token (401) or with a bad body (400)', async () => {
    const { pollId, optionIds } = await ctx.openPoll()
    expect(
      (await ctx.call('POST', `/api/polls/${pollId}/votes`, { body: { optionId: optionIds[0] } }))
        .status,
    ).toBe(401)
    const token = await ctx.voterToken('sloppy')
    expect((await ctx.call('POST', `/api/polls/${pollId}/votes`, { token, body: {} })).status).toBe(
      400,
    )
    expect(
      (await ctx.call('POST', `/api/polls/${pollId}/votes`, { token, body: { optionId: 'nope' } }))
        .status,
    ).toBe(400)
    expect(
      (
        await ctx.call('POST', `/api/polls/${pollId}/votes`, {
          token,
          body: { optionId: optionIds[0], extra: 1 },
        })
      ).status,
    ).toBe(400)
  })

  it('keeps one voter’s votes in different polls apart', async () => {
    const a = await ctx.openPoll()
    const b = await ctx.openPoll()
    const token = await ctx.voterToken('multi')
    expect((await vote(a.pollId, a.optionIds[0], token)).status).toBe(201)
    expect((await vote(b.pollId, b.optionIds[0], token)).status).toBe(201)
  })
})
