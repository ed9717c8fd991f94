import { once } from 'node:events'
import type { AddressInfo } from 'node:net'
import { SMTPServer } from 'smtp-server'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createAccount } from '../src/auth/provider/accounts.ts'
import {
  issueCode,
  MAX_ATTEMPTS,
  MAX_CODES_PER_HOUR,
  redeemCode,
} from '../src/auth/provider/codes.ts'
import { smtpMailer } from '../src/mail/mailer.ts'
import type { HttpListener } from '../src/http-server.ts'
import { Browser, formAction, hiddenInput } from './support/browser.ts'
import { createTestContext, type ErrorAnswer, type TestContext } from './support/context.ts'

const PASSWORD = 'Invited-pass-4'

describe('mailed codes', () => {
  let ctx: TestContext
  beforeAll(async () => {
    ctx = await createTestContext()
  })
  afterAll(() => ctx.close())
  const newAccount = (email: string) => createAccount(ctx.runtime.database.db, email, PASSWORD)

  it('work once, and only the newest', async () => {
    const db = ctx.runtime.database.db
    const { id } = await newAccount('once@example.com')
    const first = await issueCode(db, id, 'confirm')
    const second = await issueCode(db, id, 'confirm')
    expect(second).toMatch(/^\d{6}$/)
    expect(await redeemCode(db, id, 'confirm', first ?? '')).toBe(first === second)
    expect(await redeemCode(db, id, 'confirm', second ?? '')).toBe(first !== second)
    expect(await redeemCode(db, id, 'confirm', second ?? '')).toBe(false)
    // A confirmation code is no invitation.
    const invite = await issueCode(db, id, 'invite')
    expect(invite).toMatch(/^[A-Za-z0-9_-]{32}$/)
    expect(await redeemCode(db, id, 'confirm', invite ?? '')).toBe(false)
  })

  it(`expire, and die after ${String(MAX_ATTEMPTS)} wrong guesses even if the next is right`, async () => {
    const db = ctx.runtime.database.db
    const { id } = await newAccount('guess@example.com')
    const code = (await issueCode(db, id, 'confirm')) ?? ''
    const wrong = code === '123456' ? '654321' : '123456'
    for (let i = 0; i < MAX_ATTEMPTS; i += 1)
      expect(await redeemCode(db, id, 'confirm', wrong)).toBe(false)
    expect(await redeemCode(db, id, 'confirm', code)).toBe(false)

    const late = (await issueCode(db, id, 'confirm')) ?? ''
    await sql`update email_codes set expires_at = now() - interval '1 second' where account_id = ${id} and used_at is null`.execute(
      db,
    )
    expect(await redeemCode(db, id, 'confirm', late)).toBe(false)
  })

  it(`go out at most ${String(MAX_CODES_PER_HOUR)} times an hour per account, even asked for at once`, async () => {
    const db = ctx.runtime.database.db
    const { id } = await newAccount('flood@example.com')
    const codes = await Promise.all(Array.from({ length: 12 }, () => issueCode(db, id, 'confirm')))
    expect(codes.filter(Boolean)).toHaveLength(MAX_CODES_PER_HOUR)
  })
})

describe('mail through a real SMTP server', () => {
  it('delivers the message to the server named by SMTP_URL', async () => {
    const received: string[] = []
    const server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      onData(stream, _session, callback) {
        const chunks: Buffer[] = []
        stream.on('data', (chunk: Buffer) => chunks.push(chunk))
        stream.on('end', () => {
          received.push(Buffer.concat(chunks).toString())
          callback()
        })
      },
    })
    server.listen(0, '127.0.0.1')
    await once(server.server, 'listening')
    try {
      const { port } = server.server.address() as AddressInfo
      const mailer = smtpMailer(
        `smtp://127.0.0.1:${String(port)}`,
        'votelab <no-reply@votelab.test>',
      )
      await mailer.send({
        to: 'ada@example.org',
        subject: 'Your votelab code: 123456',
        text: 'Hello',
      })
      expect(received).toHaveLength(1)
      expect(received[0]).toContain('Subject: Your votelab code: 123456')
      expect(received[0]).toContain('To: ada@example.org')
      expect(mailer.mailboxUrl).toBeUndefined()
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()))
    }
  })
})

describe('SIGN_UP=invite', () => {
  let ctx: TestContext
  let server: HttpListener
  let admin: string
  beforeAll(async () => {
    ctx = await createTestContext({ SIGN_UP: 'invite' })
    server = await ctx.listen()
    admin = await ctx.adminToken()
  })
  afterAll(() => ctx.close())

  const invite = (email: unknown, token = admin) =>
    ctx.call('POST', '/api/invitations', { token, body: { email } })

  it('lets only admins invite; the invitee sets a password from the mailed link and can sign in', async () => {
    expect((await invite('Ivy@Example.org', await ctx.voterToken('someone'))).status).toBe(403)
    for (const bad of ['nope', '', 42]) {
      const refused = await invite(bad)
      expect(refused.status).toBe(400)
      expect(((await refused.json()) as ErrorAnswer).error.code).toBe('validation_failed')
    }
    const sent = await invite('Ivy@Example.org')
    expect(sent.status).toBe(201)
    const mailbox = await (
      await fetch(`${server.url}/auth/dev/mailbox?to=ivy%40example.org`)
    ).text()
    const link = /(http:\/\/localhost:3000\/auth\/invite\?[^\s<]+)/
      .exec(mailbox)?.[1]
      ?.replaceAll('&amp;', '&')
    if (!link) throw new Error('no invitation link in the mailbox')
    // The link names this server's public URL; open it on the test server.
    const url = new URL(link)
    const browser = new Browser()
    const page = await browser.fetch(`${server.url}${url.pathname}${url.search}`)
    expect(page.status).toBe(200)
    const html = await page.text()
    expect(html).toContain('Choose a password for ivy@example.org')
    const post = (password: string) =>
      browser.fetch(new URL(formAction(html), server.url).toString(), {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', origin: server.url },
        body: new URLSearchParams({
          csrf: hiddenInput(html, 'csrf'),
          email: hiddenInput(html, 'email'),
          code: hiddenInput(html, 'code'),
          password,
        }).toString(),
      })
    expect((await post('weak')).status).toBe(400)
    const accepted = await post(PASSWORD)
    expect(accepted.status).toBe(200)
    expect(await accepted.text()).toContain('Your account is ready')
    expect((await post(PASSWORD)).status).toBe(400) // used up

    const account = await ctx.runtime.database.db
      .selectFrom('local_users')
      .select(['email', 'email_verified_at'])
      .where('email', '=', 'ivy@example.org')
      .executeTakeFirstOrThrow()
    expect(account.email_verified_at).not.toBeNull()
    expect((await invite('ivy@example.org')).status).toBe(409)
  })

  it('offers no sign-up form, and refuses one posted anyway', async () => {
    const browser = new Browser()
    const params = new URLSearchParams({
      client_id: 'votelab-web',
      response_type: 'code',
      redirect_uri: 'http://localhost:3000/callback',
      scope: 'openid email profile',
      code_challenge: 'x'.repeat(43),
      code_challenge_method: 'S256',
    })
    const signIn = await browser.follow(
      `${server.url}/auth/oauth2/authorize?${params.toString()}`,
      server.url,
    )
    const html = await signIn.response.text()
    const signUpHref = /href="([^"]*signup)"/.exec(html)?.[1] ?? ''
    const signUp = await browser.fetch(new URL(signUpHref, server.url).toString())
    expect(signUp.status).toBe(403)
    expect(await signUp.text()).toContain('Accounts are by invitation')
    const posted = await browser.fetch(new URL(signUpHref, server.url).toString(), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: server.url },
      body: new URLSearchParams({
        csrf: hiddenInput(html, 'csrf'),
        email: 'eve@example.org',
        password: PASSWORD,
      }).toString(),
    })
    expect(posted.status).toBe(403)
    const rows = await ctx.runtime.database.db
      .selectFrom('local_users')
      .select('email')
      .where('email', '=', 'eve@example.org')
      .execute()
    expect(rows).toEqual([])
  })
})

describe('the development mailbox', () => {
  it('is not served in production unless asked for', async () => {
    const ctx = await createTestContext({ NODE_ENV: 'production' })
    try {
      const server = await ctx.listen()
      expect((await fetch(`${server.url}/auth/dev/mailbox`)).status).toBe(404)
    } finally {
      await ctx.close()
    }
  })
})
