import { randomUUID } from 'node:crypto'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { decryptReceipt } from '../src/votes/idempotency.ts'
import { bodyOf, createTestContext, type ErrorAnswer, type TestContext } from './support/context.ts'

let ctx: TestContext
beforeAll(async () => {
  ctx = await createTestContext()
})
afterAll(() => ctx.close())

const vote = (pollId: string, optionId: string, token: string, key?: string) =>
  ctx.castVote(token, pollId, optionId, key)

async function ballots(pollId: string) {
  return ctx.runtime.database.db
    .selectFrom('ballots')
    .select(['option_id', 'tracker'])
    .where('poll_id', '=', pollId)
    .execute()
}

describe('Idempotency-Key on votes', () => {
  it('answers a retry with the same receipt, counted once', async () => {
    const { pollId, optionIds } = await ctx.openPoll()
    const token = await ctx.voterToken('retrying-rita')
    const key = randomUUID()
    const first = await vote(pollId, optionIds[0] as string, token, key)
    const second = await vote(pollId, optionIds[0] as string, token, key)
    expect([first.status, second.status]).toEqual([201, 201])
    expect(first.headers.get('idempotent-replayed')).toBeNull()
    expect(second.headers.get('idempotent-replayed')).toBe('true')
    expect(await second.json()).toEqual(await first.json())
    expect(await ballots(pollId)).toHaveLength(1)
  })

  it('gives 30 concurrent copies of one request one ballot and one receipt', async () => {
    const { pollId, optionIds } = await ctx.openPoll()
    const token = await ctx.voterToken('hammering-hal')
    const key = randomUUID()
    const responses = await Promise.all(
      Array.from({ length: 30 }, () => vote(pollId, optionIds[1] as string, token, key)),
    )
    expect(responses.map((r) => r.status)).toEqual(Array<number>(30).fill(201))
    const trackers = new Set(
      await Promise.all(responses.map(async (r) => (await bodyOf(r, 201)).receipt.tracker)),
    )
    expect(trackers.size).toBe(1)
    expect(await ballots(pollId)).toEqual([{ option_id: optionIds[1], tracker: [...trackers][0] }])
  })

  it('refuses the same key with a different vote in the same poll (422) and changes nothing', async () => {
    const { pollId, optionIds } = await ctx.openPoll()
    const token = await ctx.voterToken('fickle-fay')
    const key = randomUUID()
    expect((await vote(pollId, optionIds[0] as string, token, key)).status).toBe(201)
    const changed = await vote(pollId, optionIds[2] as string, token, key)
    expect(changed.status).toBe(422)
    expect(((await changed.json()) as ErrorAnswer).error.code).toBe('idempotency_key_reused')
    expect((await ballots(pollId)).map((b) => b.option_id)).toEqual([optionIds[0]])
    // A key belongs to one vote: in another poll it is simply that vote's key.
    const other = await ctx.openPoll()
    const first = await vote(other.pollId, other.optionIds[0] as string, token, key)
    const again = await vote(other.pollId, other.optionIds[0] as string, token, key)
    expect([first.status, again.status]).toEqual([201, 201])
    expect(await again.json()).toEqual(await first.json())
    expect(await ballots(other.pollId)).toHaveLength(1)
  })

  it('keeps the one-vote rule: a new key or no key after voting is 409 already_voted', async () => {
    const { pollId, optionIds } = await ctx.openPoll()
    const token = await ctx.voterToken('double-dan')
    expect((await vote(pollId, optionIds[0] as string, token, randomUUID())).status).toBe(201)
    const again = await vote(pollId, optionIds[0] as string, token, randomUUID())
    expect(again.status).toBe(409)
    expect(((await again.json()) as ErrorAnswer).error.code).toBe('already_voted')
    expect((await vote(pollId, optionIds[0] as string, token)).status).toBe(409)
    expect(await ballots(pollId)).toHaveLength(1)
  })

  it("does not let another voter replay someone's key", async () => {
    const { pollId, optionIds } = await ctx.openPoll()
    const key = randomUUID()
    const alice = await vote(pollId, optionIds[0] as string, await ctx.voterToken('key-alice'), key)
    const bob = await vote(pollId, optionIds[0] as string, await ctx.voterToken('key-bob'), key)
    expect([alice.status, bob.status]).toEqual([201, 201])
    expect((await bodyOf(bob, 201)).receipt.tracker).not.toBe(
      (await bodyOf(alice, 201)).receipt.tracker,
    )
    expect(await ballots(pollId)).toHaveLength(2)
  })

  it('rejects a short or malformed key with 400 before counting anything', async () => {
    const { pollId, optionIds } = await ctx.openPoll()
    const token = await ctx.voterToken('sloppy-sid')
    for (const key of [
      'short',
      'has spaces in it, lots of them',
      'x'.repeat(129),
      'ünïcödé-kéy-123456',
    ]) {
      const response = await vote(pollId, optionIds[0] as string, token, key)
      expect(response.status).toBe(400)
      expect(((await response.json()) as ErrorAnswer).error.code).toBe('validation_failed')
    }
    expect(await ballots(pollId)).toHaveLength(0)
  })

  it('leaves a row that says nothing about the choice without the client’s key', async () => {
    const { pollId, optionIds } = await ctx.openPoll()
    const key = randomUUID()
    const response = await vote(
      pollId,
      optionIds[2] as string,
      await ctx.voterToken('private-pat'),
      key,
    )
    const { receipt } = await bodyOf(response, 201)
    const rows = await ctx.runtime.database.db
      .selectFrom('participation')
      .selectAll()
      .where('poll_id', '=', pollId)
      .execute()
    expect(rows).toHaveLength(1)
    const row = rows[0] as (typeof rows)[number]
    expect(Object.keys(row).sort()).toEqual([
      'key_hash',
      'mailbox',
      'poll_id',
      'sealed_receipt',
      'voter_sub',
    ])
    if (!row.sealed_receipt) throw new Error('no sealed receipt')
    const text = JSON.stringify(row)
    expect(text).not.toContain(receipt.tracker)
    expect(text).not.toContain(optionIds[2])
    expect(text).not.toContain(key)
    const sealed = row.sealed_receipt
    expect(decryptReceipt('private-pat', randomUUID(), sealed)).toBeUndefined()
    expect(decryptReceipt('someone-else', key, sealed)).toBeUndefined()
    expect(decryptReceipt('private-pat', key, sealed)).toEqual({
      tracker: receipt.tracker,
      optionId: optionIds[2],
    })
  })

  it('forgets the sealed receipts when the poll closes', async () => {
    const { pollId, optionIds } = await ctx.openPoll()
    await vote(pollId, optionIds[0] as string, await ctx.voterToken('closing-cal'), randomUUID())
    const count = async () =>
      (
        await sql<{ n: number }>`select count(*)::int as n from participation
          where poll_id = ${pollId} and (key_hash is not null or sealed_receipt is not null)`.execute(
          ctx.runtime.database.db,
        )
      ).rows[0]?.n
    expect(await count()).toBe(1)
    const close = await ctx.call('POST', `/api/polls/${pollId}/close`, {
      token: await ctx.adminToken(),
    })
    expect(close.status).toBe(200)
    expect(await count()).toBe(0)
  })
})
