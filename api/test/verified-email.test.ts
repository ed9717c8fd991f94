import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  IdentityUnavailableError,
  userInfoEndpoint,
  verifiedMailboxes,
  type EmailClaims,
} from '../src/auth/verified-email.ts'
import type { Principal } from '../src/auth/verify.ts'
import { createTestContext, type TestContext } from './support/context.ts'

let ctx: TestContext
let userInfoUrl: string
beforeAll(async () => {
  ctx = await createTestContext()
  userInfoUrl = `${(await ctx.listen()).url}/auth/oauth2/userInfo`
})
afterAll(() => ctx.close())

const principal = (sub: string): Principal => ({
  sub,
  username: sub,
  groups: [],
  clientId: 'votelab-web',
  scopes: [],
})

describe('a voter’s verified mailbox, from the issuer’s userInfo over HTTP', () => {
  it('is the account’s email, folded, once the address is verified; nothing before', async () => {
    const db = ctx.runtime.database.db
    const account = await db
      .insertInto('local_users')
      .values({ email: 'ada+work@example.org', password_hash: 'unused' })
      .returning('id')
      .executeTakeFirstOrThrow()
    const token = await ctx.voterToken(account.id)
    const lookup = userInfoEndpoint(userInfoUrl)
    expect(await lookup(principal(account.id), token)).toMatchObject({
      sub: account.id,
      email: 'ada+work@example.org',
      email_verified: false,
    })
    const fresh = () => verifiedMailboxes({ lookup })
    expect(await fresh()(principal(account.id), token)).toBeUndefined()

    await db
      .updateTable('local_users')
      .set({ email_verified_at: new Date() })
      .where('id', '=', account.id)
      .execute()
    expect(await fresh()(principal(account.id), token)).toBe('ada@example.org')
  })

  it('says "unavailable" (never "not on the roll") when the issuer refuses or is gone', async () => {
    const lookup = userInfoEndpoint(userInfoUrl, { timeoutMs: 2_000 })
    await expect(lookup(principal('x'), 'not-a-token')).rejects.toThrow(IdentityUnavailableError)
    const gone = userInfoEndpoint('http://127.0.0.1:9/auth/oauth2/userInfo', { timeoutMs: 1_000 })
    await expect(gone(principal('x'), 'token')).rejects.toThrow(IdentityUnavailableError)
  })
})

describe('the per-voter cache', () => {
  /** An issuer that answers from a table and counts how often it was asked. */
  function issuer(answers: Record<string, Partial<EmailClaims>>) {
    const asked: string[] = []
    const lookup = async (voter: Principal) => {
      asked.push(voter.sub)
      await sleep(5)
      return { sub: voter.sub, ...answers[voter.sub] }
    }
    return { asked, lookup }
  }

  it('asks once per voter, even for many requests at once, and reads Cognito’s "true"', async () => {
    const { asked, lookup } = issuer({
      cognito: { email: 'Grace@Example.org', email_verified: 'true' },
      other: { email: 'other@example.org', email_verified: true },
    })
    const mailboxOf = verifiedMailboxes({ lookup })
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) => mailboxOf(principal(i % 2 ? 'cognito' : 'other'), 't')),
    )
    expect(new Set(answers)).toEqual(new Set(['grace@example.org', 'other@example.org']))
    expect(await mailboxOf(principal('cognito'), 't')).toBe('grace@example.org')
    expect(asked.sort()).toEqual(['cognito', 'other'])
  })

  it('asks again after the answer expires, sooner for an unverified one', async () => {
    const answers: Record<string, Partial<EmailClaims>> = {
      late: { email: 'late@example.org', email_verified: false },
    }
    const { asked, lookup } = issuer(answers)
    const mailboxOf = verifiedMailboxes({ lookup, ttlMs: 60_000, unverifiedTtlMs: 30 })
    expect(await mailboxOf(principal('late'), 't')).toBeUndefined()
    answers.late = { email: 'late@example.org', email_verified: true }
    expect(await mailboxOf(principal('late'), 't')).toBeUndefined() // still remembered
    await sleep(40)
    expect(await mailboxOf(principal('late'), 't')).toBe('late@example.org')
    await sleep(40)
    expect(await mailboxOf(principal('late'), 't')).toBe('late@example.org')
    expect(asked).toEqual(['late', 'late'])
  })

  it('forgets the oldest voter past its size, and refuses an answer about someone else', async () => {
    const { asked, lookup } = issuer({})
    const mailboxOf = verifiedMailboxes({ lookup, maxEntries: 2 })
    for (const sub of ['a', 'b', 'c', 'a']) await mailboxOf(principal(sub), 't')
    expect(mailboxOf.size()).toBe(2)
    expect(asked).toEqual(['a', 'b', 'c', 'a'])

    const liar = verifiedMailboxes({
      lookup: () =>
        Promise.resolve({ sub: 'someone-else', email: 'x@example.org', email_verified: true }),
    })
    await expect(liar(principal('me'), 't')).rejects.toThrow('answered for another account')
  })
})
