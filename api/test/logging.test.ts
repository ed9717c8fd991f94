import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createLogger } from '../src/logger.ts'
import type { HttpListener } from '../src/http-server.ts'
import { authorizeParams } from './support/browser.ts'
import { createTestContext, type TestContext } from './support/context.ts'

// What the process writes to its log, captured line by line from the real logger.
const lines: string[] = []
let ctx: TestContext
let server: HttpListener
beforeAll(async () => {
  const logger = createLogger('info', { write: (line: string) => lines.push(line) })
  ctx = await createTestContext({}, { logger })
  server = await ctx.listen()
})
afterAll(() => ctx.close())

const parsed = () => lines.map((line) => JSON.parse(line) as Record<string, unknown>)

describe('logs keep the ballot secret', () => {
  it('logs a failed vote batch without the voter, the option or the tracker', async () => {
    const { pollId, optionIds } = await ctx.openPoll()
    const optionId = optionIds[1] ?? ''
    const sub = 'voter-whose-choice-must-stay-secret'
    const db = ctx.runtime.database.db
    // A failure whose detail quotes the row, as a constraint violation's would.
    await sql`create function fail_participation() returns trigger language plpgsql as $$
      begin raise exception 'forced failure' using detail = 'row ' || new.voter_sub; end $$`.execute(
      db,
    )
    await sql`create trigger fail_participation before insert on participation
      for each row execute function fail_participation()`.execute(db)
    try {
      const response = await ctx.call('POST', `/api/polls/${pollId}/votes`, {
        token: await ctx.voterToken(sub),
        body: { optionId },
      })
      expect(response.status).toBeGreaterThanOrEqual(500)
    } finally {
      await sql`drop trigger fail_participation on participation`.execute(db)
      await sql`drop function fail_participation()`.execute(db)
    }
    const failure = parsed().find((line) => line.msg === 'vote batch failed')
    expect(failure, lines.join('\n')).toBeDefined()
    expect(JSON.stringify(failure)).toContain('forced failure')
    const everything = lines.join('\n')
    expect(everything).not.toContain(sub)
    expect(everything).not.toContain(optionId)
  })
})

describe('the request log', () => {
  it('logs the status the sign-in provider really answered', async () => {
    lines.length = 0
    const response = await fetch(`${server.url}/auth/oauth2/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=refresh_token&refresh_token=nope&client_id=votelab-web',
    })
    expect(response.status).toBe(400)
    const line = parsed().find((entry) => entry.path === '/auth/oauth2/token')
    expect(line).toMatchObject({ msg: 'request', status: 400, level: 30 })
  })

  it('logs the provider’s own 500s at error level, with the cause', async () => {
    lines.length = 0
    const db = ctx.runtime.database.db
    await sql`alter table oidc_records rename to oidc_records_away`.execute(db)
    try {
      const response = await fetch(
        `${server.url}/auth/oauth2/authorize?${authorizeParams().toString()}`,
        {
          redirect: 'manual',
        },
      )
      expect(response.status).toBe(500)
    } finally {
      await sql`alter table oidc_records_away rename to oidc_records`.execute(db)
    }
    const entries = parsed()
    expect(entries.find((entry) => entry.msg === 'sign-in provider error')).toMatchObject({
      level: 50,
      err: { message: expect.stringContaining('oidc_records') as string },
    })
    expect(entries.find((entry) => entry.msg === 'request')).toMatchObject({
      status: 500,
      level: 50,
    })
  })
})
