import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { bodyOf, createTestContext, type ErrorAnswer, type TestContext } from './support/context.ts'

let ctx: TestContext
let admin: string
beforeAll(async () => {
  ctx = await createTestContext()
  admin = await ctx.adminToken()
})
afterAll(() => ctx.close())

/** A local account (no password: these voters arrive with tokens) and a token for it. */
async function voterWithEmail(email: string, { verified = true } = {}) {
  const account = await ctx.runtime.database.db
    .insertInto('local_users')
    .values({ email, password_hash: 'unused', email_verified_at: verified ? new Date() : null })
    .returning('id')
    .executeTakeFirstOrThrow()
  return ctx.voterToken(account.id)
}

const pollAs = async (pollId: string, token?: string) =>
  bodyOf(await ctx.client(token).api.polls[':pollId'].$get({ param: { pollId } }), 200)

const errorOf = async (response: { json(): Promise<unknown> }) =>
  ((await response.json()) as ErrorAnswer).error

const uploadRoll = (pollId: string, body: string, type = 'text/csv', token = admin) =>
  ctx.call('PUT', `/api/polls/${pollId}/roll`, { token, body, headers: { 'content-type': type } })

async function draftRollPoll(emails: string[] = []) {
  const created = await ctx.call('POST', '/api/polls', {
    token: admin,
    body: {
      title: 'Board election',
      options: ['Ada', 'Grace'],
      eligibility: { kind: 'roll', emails },
    },
  })
  expect(created.status).toBe(201)
  const poll = (await created.json()) as { id: string; options: { id: string }[] }
  return { pollId: poll.id, optionIds: poll.options.map((option) => option.id) }
}

const open = (pollId: string) => ctx.call('POST', `/api/polls/${pollId}/open`, { token: admin })

describe('voter rolls', () => {
  it('takes the verified mailboxes on the roll and says why it refuses anyone else', async () => {
    const { pollId, optionIds } = await draftRollPoll([
      'Roll.One@Example.org',
      'roll.two@example.org',
    ])
    expect((await open(pollId)).status).toBe(200)
    const onRoll = await voterWithEmail('roll.one@example.org')
    const offRoll = await voterWithEmail('stranger@example.org')
    const unverified = await voterWithEmail('roll.two@example.org', { verified: false })
    const noAccount = await ctx.voterToken('token-only-voter')

    expect(await pollAs(pollId)).toMatchObject({ eligibility: { kind: 'roll', voters: 2 } })
    expect(await pollAs(pollId, onRoll)).toMatchObject({ eligible: true, hasVoted: false })
    for (const token of [offRoll, unverified, noAccount]) {
      expect(await pollAs(pollId, token)).toMatchObject({ eligible: false })
    }

    const refusals = [
      [offRoll, 'You are not on this poll’s voter list'],
      [unverified, 'This poll has a voter list: confirm your account’s email address to vote'],
      [noAccount, 'This poll has a voter list: confirm your account’s email address to vote'],
    ] as const
    for (const [token, message] of refusals) {
      const refused = await ctx.castVote(token, pollId, optionIds[0])
      expect(refused.status).toBe(403)
      expect(await errorOf(refused)).toMatchObject({ code: 'not_eligible', message })
    }
    expect((await ctx.castVote(onRoll, pollId, optionIds[1])).status).toBe(201)
    expect((await ctx.results(pollId)).turnout).toEqual({ ballots: 1, eligible: 2 })
    expect((await ctx.call('POST', `/api/polls/${pollId}/close`, { token: admin })).status).toBe(
      200,
    )
    expect((await ctx.results(pollId)).turnout).toEqual({ ballots: 1, eligible: 2 })
  })

  it('gives one mailbox one vote, however many accounts it has (a@x, a+2@x), even at once', async () => {
    const { pollId, optionIds } = await draftRollPoll(['twin@example.org', 'solo@example.org'])
    expect((await open(pollId)).status).toBe(200)
    const accounts = await Promise.all(
      ['twin@example.org', 'twin+2@example.org', 'TWIN+three@example.org'].map((email) =>
        voterWithEmail(email),
      ),
    )
    for (const token of accounts)
      expect(await pollAs(pollId, token)).toMatchObject({ eligible: true })
    const statuses = await Promise.all(
      accounts.map(async (token) => (await ctx.castVote(token, pollId, optionIds[0])).status),
    )
    expect(statuses.sort()).toEqual([201, 409, 409])
    expect((await ctx.results(pollId)).totalVotes).toBe(1)
  })

  it('replaces a draft’s roll from a CSV file larger than the usual body cap', async () => {
    const { pollId } = await draftRollPoll()
    const emails = Array.from({ length: 1_000 }, (_, i) => `member${String(i)}@example.org`)
    const csv = `Name,Email\n${emails.map((email, i) => `Member ${String(i)},${email}`).join('\n')}\n`
    expect(csv.length).toBeGreaterThan(16 * 1024)
    const uploaded = await uploadRoll(pollId, csv)
    expect(uploaded.status).toBe(200)
    expect(await uploaded.json()).toEqual({ voters: 1_000, entries: 1_000 })

    const replaced = await uploadRoll(
      pollId,
      'member1@example.org\nMember1+x@example.org\n',
      'text/plain',
    )
    expect(await replaced.json()).toEqual({ voters: 1, entries: 2 })
    expect(await pollAs(pollId, admin)).toMatchObject({ eligibility: { kind: 'roll', voters: 1 } })
  })

  it('refuses a bad roll whole and keeps the one it had', async () => {
    const { pollId } = await draftRollPoll(['kept@example.org'])
    const bad = await uploadRoll(pollId, 'ok@example.org\nnot-an-address\n\u0000@x\n')
    expect(bad.status).toBe(400)
    const error = await errorOf(bad)
    expect(error).toMatchObject({
      code: 'invalid_roll',
      message: '2 of 3 entries are not email addresses; nothing was stored',
    })
    expect(error.details?.map((detail) => detail.path)).toEqual(['record 2', 'record 3'])

    expect((await uploadRoll(pollId, '{"emails":[]}', 'application/json')).status).toBe(415)
    expect(
      (await uploadRoll(pollId, 'x@example.org', 'text/csv', await ctx.voterToken('v'))).status,
    ).toBe(403)
    const tooBig = await uploadRoll(pollId, 'a@example.org\n'.repeat(700_000))
    expect(tooBig.status).toBe(413)
    expect(await pollAs(pollId, admin)).toMatchObject({ eligibility: { kind: 'roll', voters: 1 } })
  })

  it('fixes the roll once the poll opens, and will not open a poll with nobody on its roll', async () => {
    const { pollId } = await draftRollPoll()
    const empty = await open(pollId)
    expect(empty.status).toBe(409)
    expect(await errorOf(empty)).toMatchObject({ code: 'empty_roll' })
    expect((await uploadRoll(pollId, 'first@example.org')).status).toBe(200)
    expect((await open(pollId)).status).toBe(200)
    const late = await uploadRoll(pollId, 'second@example.org')
    expect(late.status).toBe(409)
    expect(await errorOf(late)).toMatchObject({ code: 'invalid_transition' })

    const { pollId: openToAll } = await ctx.openPoll()
    const notRoll = await uploadRoll(openToAll, 'x@example.org')
    expect(await errorOf(notRoll)).toMatchObject({ code: 'not_a_roll_poll' })
    expect((await uploadRoll('00000000-0000-4000-8000-000000000000', 'x@example.org')).status).toBe(
      404,
    )
  })

  it('refuses roll entries that are not addresses when the poll is created', async () => {
    const cases = [
      [
        ['ok@example.org', 'nope', 'ok@@example.org'],
        ['eligibility.emails.1', 'eligibility.emails.2'],
      ],
      [['ok@example.org', 42], ['eligibility.emails.1']],
    ] as const
    for (const [emails, paths] of cases) {
      const response = await ctx.call('POST', '/api/polls', {
        token: admin,
        body: { title: 'Bad roll', options: ['a', 'b'], eligibility: { kind: 'roll', emails } },
      })
      expect(response.status).toBe(400)
      expect((await errorOf(response)).details?.map((detail) => detail.path)).toEqual(paths)
    }
  })

  it('never records on the roll who voted: voting leaves the roll as it was', async () => {
    const { pollId, optionIds } = await draftRollPoll(['quiet@example.org', 'loud@example.org'])
    expect((await open(pollId)).status).toBe(200)
    const rollOf = () =>
      ctx.runtime.database.db
        .selectFrom('poll_roll')
        .selectAll()
        .where('poll_id', '=', pollId)
        .orderBy('mailbox')
        .execute()
    const rollBefore = await rollOf()
    expect(
      (await ctx.castVote(await voterWithEmail('quiet@example.org'), pollId, optionIds[0])).status,
    ).toBe(201)
    const rollAfter = await rollOf()
    expect(rollAfter).toEqual(rollBefore)
    expect(Object.keys(rollAfter[0] ?? {}).sort()).toEqual(['mailbox', 'poll_id'])
  })
})
