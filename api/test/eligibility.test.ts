import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { bodyOf, createTestContext, type ErrorAnswer, type TestContext } from './support/context.ts'

let ctx: TestContext
let admin: string
beforeAll(async () => {
  ctx = await createTestContext()
  admin = await ctx.adminToken()
})
afterAll(() => ctx.close())

const vote = (pollId: string, optionId: string | undefined, token: string) =>
  ctx.castVote(token, pollId, optionId)

const pollAs = async (pollId: string, token?: string) =>
  bodyOf(await ctx.client(token).api.polls[':pollId'].$get({ param: { pollId } }), 200)

describe('who may vote', () => {
  it('lets any signed-in voter vote by default, and says so', async () => {
    const { pollId, optionIds } = await ctx.openPoll()
    const token = await ctx.voterToken('anyone-1')
    const poll = await pollAs(pollId, token)
    expect(poll).toMatchObject({ eligibility: { kind: 'anyone' }, eligible: true })
    expect((await vote(pollId, optionIds[0], token)).status).toBe(201)
  })

  it('takes members of the poll’s group only: 403 not_eligible for others, nothing counted', async () => {
    const { pollId, optionIds } = await ctx.openPoll(['Yes', 'No'], {
      eligibility: { kind: 'group', group: 'staff' },
    })
    const member = await ctx.voterToken('staff-member', { groups: ['staff'] })
    const outsider = await ctx.voterToken('outsider', { groups: ['students'] })
    const nobody = await ctx.voterToken('no-groups')

    expect(await pollAs(pollId)).toMatchObject({ eligibility: { kind: 'group', group: 'staff' } })
    expect(await pollAs(pollId)).not.toHaveProperty('eligible')
    expect(await pollAs(pollId, member)).toMatchObject({ eligible: true })
    expect(await pollAs(pollId, outsider)).toMatchObject({ eligible: false })

    for (const token of [outsider, nobody]) {
      const refused = await vote(pollId, optionIds[0], token)
      expect(refused.status).toBe(403)
      expect(((await refused.json()) as ErrorAnswer).error.code).toBe('not_eligible')
      expect(await pollAs(pollId, token)).toMatchObject({ hasVoted: false })
    }
    expect((await vote(pollId, optionIds[1], member)).status).toBe(201)
    expect((await ctx.results(pollId)).totalVotes).toBe(1)
  })

  it('decides each vote of a mixed batch on its own', async () => {
    const { pollId, optionIds } = await ctx.openPoll(['Yes', 'No'], {
      eligibility: { kind: 'group', group: 'crew' },
    })
    const tokens = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        ctx.voterToken(`mixed-${String(i)}`, { groups: i % 2 ? ['crew'] : ['guests'] }),
      ),
    )
    const statuses = await Promise.all(
      tokens.map(async (token) => (await vote(pollId, optionIds[0], token)).status),
    )
    expect(statuses.filter((s) => s === 201)).toHaveLength(20)
    expect(statuses.filter((s) => s === 403)).toHaveLength(20)
    statuses.forEach((status, i) => expect(status).toBe(i % 2 ? 201 : 403))
  })

  it('refuses an eligibility it does not know, and a group name it cannot use', async () => {
    for (const eligibility of [
      { kind: 'roll-call' },
      { kind: 'group' },
      { kind: 'group', group: '' },
      { kind: 'group', group: 'has space' },
      { kind: 'group', group: 'x'.repeat(129) },
      { kind: 'anyone', group: 'staff' },
      'anyone',
    ]) {
      const response = await ctx.call('POST', '/api/polls', {
        token: admin,
        body: { title: 'Bad eligibility', options: ['a', 'b'], eligibility },
      })
      expect(response.status, JSON.stringify(eligibility)).toBe(400)
      const { error } = (await response.json()) as ErrorAnswer
      expect(error.code).toBe('validation_failed')
      expect(error.details?.[0]?.path).toMatch(/^eligibility/)
    }
  })

  it('shows turnout against the group as it was at the close; open polls count no eligible', async () => {
    const db = ctx.runtime.database.db
    await db
      .insertInto('local_users')
      .values(
        ['a', 'b', 'c'].map((name) => ({
          email: `${name}@tally.example`,
          password_hash: null,
          groups: ['tally-club', 'other'],
        })),
      )
      .execute()
    const { pollId, optionIds } = await ctx.openPoll(['Yes', 'No'], {
      eligibility: { kind: 'group', group: 'tally-club' },
    })
    const member = await ctx.voterToken('tally-member', { groups: ['tally-club'] })
    expect((await vote(pollId, optionIds[0], member)).status).toBe(201)
    expect((await ctx.results(pollId)).turnout).toEqual({ ballots: 1, eligible: null })
    const closed = await ctx.call('POST', `/api/polls/${pollId}/close`, { token: admin })
    expect(closed.status).toBe(200)
    // Joining the group afterwards changes nothing.
    await db
      .insertInto('local_users')
      .values({ email: 'late@tally.example', password_hash: null, groups: ['tally-club'] })
      .execute()
    expect((await ctx.results(pollId)).turnout).toEqual({ ballots: 1, eligible: 3 })

    const { pollId: anyone } = await ctx.openPoll()
    await ctx.call('POST', `/api/polls/${anyone}/close`, { token: admin })
    expect((await ctx.results(anyone)).turnout).toEqual({ ballots: 0, eligible: null })
  })
})
