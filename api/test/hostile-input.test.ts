import { createHash } from 'node:crypto'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { HttpListener } from '../src/http-server.ts'
import { authorizeParams, startInteraction } from './support/browser.ts'
import { createTestContext, type ErrorAnswer, type TestContext } from './support/context.ts'
import { rawExchange } from '@votelab/testkit/raw-http'

// Each request here answered 500 once (issue 13). They stay as named regression tests; the
// generated inputs in hostile-input.property.test.ts look for the ones nobody thought of.

let ctx: TestContext
let server: HttpListener
let admin: string
beforeAll(async () => {
  const web = mkdtempSync(join(tmpdir(), 'votelab-web-'))
  writeFileSync(join(web, 'index.html'), '<!doctype html><title>votelab</title>')
  ctx = await createTestContext({ WEB_DIST_DIR: web })
  server = await ctx.listen()
  admin = await ctx.adminToken()
})
afterAll(() => ctx.close())

const createPoll = (body: unknown) => ctx.call('POST', '/api/polls', { token: admin, body })

async function expectFieldError(response: Response, field: string, message?: RegExp) {
  expect(response.status).toBe(400)
  const { error } = (await response.json()) as ErrorAnswer
  expect(error.code).toBe('validation_failed')
  const detail = error.details?.find((d) => d.path === field)
  expect(detail, JSON.stringify(error)).toBeDefined()
  if (message) expect(detail?.message).toMatch(message)
}

describe('free text: one policy for every field', () => {
  const fields: [string, (bad: string) => object][] = [
    ['title', (bad) => ({ title: bad, options: ['a', 'b'] })],
    ['description', (bad) => ({ title: 'x', description: bad, options: ['a', 'b'] })],
    ['options.1', (bad) => ({ title: 'x', options: ['a', bad] })],
  ]
  const hostile: [string, string, RegExp][] = [
    ['a NUL byte', 'a\u0000b', /control characters/],
    ['an escape character', 'a\u001bb', /control characters/],
    ['a C1 control', 'a\u0085b', /control characters/],
    ['DEL', 'a\u007fb', /control characters/],
    ['a right-to-left override', 'a\u202eb', /bidirectional/],
    ['a first-strong isolate', 'a\u2068b', /bidirectional/],
    ['a lone high surrogate', 'a\ud800b', /surrogates/],
    ['a lone low surrogate', 'a\udc00b', /surrogates/],
  ]
  for (const [field, body] of fields) {
    it.each(hostile)(`refuses %s in ${field} with 400 naming the field`, async (_n, bad, why) => {
      await expectFieldError(await createPoll(body(bad)), field, why)
    })
  }

  it('refuses a raw NUL byte in the JSON text itself as invalid JSON', async () => {
    const response = await ctx.call('POST', '/api/polls', {
      token: admin,
      body: '{"title":"a\u0000b","options":["a","b"]}',
    })
    expect(response.status).toBe(400)
    expect(((await response.json()) as ErrorAnswer).error.code).toBe('invalid_json')
  })

  it('allows tab and newline in the description only', async () => {
    const ok = await createPoll({
      title: 'x',
      description: 'one\ttwo\r\nthree',
      options: ['a', 'b'],
    })
    expect(ok.status).toBe(201)
    expect(((await ok.json()) as { description: string }).description).toBe('one\ttwo\nthree')
    await expectFieldError(await createPoll({ title: 'a\tb', options: ['a', 'b'] }), 'title')
    await expectFieldError(await createPoll({ title: 'x', options: ['a\nb', 'c'] }), 'options.0')
  })

  it('stores NFC, trimmed, and refuses two options equal once normalised', async () => {
    const decomposed = 'Cafe\u0301' // "Café" with a combining accent
    const response = await createPoll({ title: `  ${decomposed}  `, options: [decomposed, 'Tea'] })
    expect(response.status).toBe(201)
    const poll = (await response.json()) as { title: string; options: { label: string }[] }
    expect(poll.title).toBe('Caf\u00e9')
    expect(poll.options[0]?.label).toBe('Caf\u00e9')
    await expectFieldError(
      await createPoll({ title: 'x', options: [decomposed, ' caf\u00e9'] }),
      'options',
      /unique/,
    )
  })
})

describe('instants: one range on both drivers', () => {
  it.each([
    '0000-01-01T00:00:00Z',
    '0001-01-01T00:00:00Z',
    '1999-12-31T23:59:59.999Z',
    '9999-12-31T23:00:00-05:00', // year 10000 in UTC
    '+275760-09-13T00:00:00Z',
  ])('refuses %s with 400', async (when) => {
    await expectFieldError(
      await createPoll({ title: 'x', options: ['a', 'b'], opensAt: when }),
      'opensAt',
      /between 2000|ISO 8601/,
    )
  })

  it('round-trips the first and last instants of the range exactly', async () => {
    const opensAt = '2000-01-01T00:00:00.000Z'
    const closesAt = '9999-12-31T23:59:59.999Z'
    const response = await createPoll({ title: 'x', options: ['a', 'b'], opensAt, closesAt })
    expect(response.status).toBe(201)
    const { id } = (await response.json()) as { id: string }
    const read = (await (await ctx.call('GET', `/api/polls/${id}`, { token: admin })).json()) as {
      opensAt: string
      closesAt: string
    }
    expect([read.opensAt, read.closesAt]).toEqual([opensAt, closesAt])
  })
})

describe('numbers in query strings stay within their columns', () => {
  it('answers 400 to after=2147483648 and a page to after=2147483647', async () => {
    const { pollId } = await ctx.openPoll()
    expect((await ctx.call('POST', `/api/polls/${pollId}/close`, { token: admin })).status).toBe(
      200,
    )
    const tooBig = await ctx.call('GET', `/api/polls/${pollId}/ballots?after=2147483648`)
    expect(tooBig.status).toBe(400)
    expect(((await tooBig.json()) as ErrorAnswer).error.details?.[0]?.path).toBe('after')
    expect((await ctx.call('GET', `/api/polls/${pollId}/ballots?after=2147483647`)).status).toBe(
      200,
    )
    for (const after of ['1e400', '-1', '1.5', 'NaN', 'Infinity']) {
      const response = await ctx.call('GET', `/api/polls/${pollId}/ballots?after=${after}`)
      expect(response.status, after).toBe(400)
    }
  })
})

describe('paths', () => {
  it.each(['/%', '/foo%zz', '/%c0%ae%c0%ae/package.json', '/api/nope%', '/%00', '/a%00.js'])(
    'answers 4xx in JSON to %s over real HTTP',
    async (path) => {
      const response = await fetch(server.url + path)
      expect(response.status).toBeGreaterThanOrEqual(400)
      expect(response.status).toBeLessThan(500)
      expect(((await response.json()) as ErrorAnswer).error.code).toMatch(/invalid_path|not_found/)
    },
  )
})

describe('the sign-in provider', () => {
  const interaction = () => startInteraction(server.url)

  it.each(['login', 'signup'])(
    'answers 415 to a multipart %s form with a garbage body',
    async (form) => {
      const { browser, uid } = await interaction()
      const response = await browser.fetch(`${server.url}/auth/interaction/${uid}/${form}`, {
        method: 'POST',
        headers: { 'content-type': 'multipart/form-data; boundary=XX' },
        body: 'garbage',
      })
      expect(response.status).toBe(415)
    },
  )

  const post = (path: string, fields: Record<string, string>) =>
    fetch(`${server.url}/auth${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(fields).toString(),
    })

  it('answers invalid_grant, not server_error, to a NUL byte in a code or refresh token', async () => {
    const requests: Record<string, string>[] = [
      { grant_type: 'refresh_token', refresh_token: 'a\u0000b' },
      {
        grant_type: 'authorization_code',
        code: 'a\u0000b',
        redirect_uri: 'http://localhost:3000/callback',
        code_verifier: 'x'.repeat(43),
      },
    ]
    for (const fields of requests) {
      const response = await post('/oauth2/token', { client_id: 'votelab-web', ...fields })
      expect(response.status, fields.grant_type).toBe(400)
      expect(((await response.json()) as { error: string }).error).toBe('invalid_grant')
    }
  })

  it('revokes a token with a NUL byte as any unknown token: 200', async () => {
    const response = await post('/oauth2/revoke', { client_id: 'votelab-web', token: 'a\u0000b' })
    expect(response.status).toBe(200)
  })

  it('sends anti-framing, nosniff, no-store and a script-free CSP with every /auth response', async () => {
    const { browser, uid } = await interaction()
    const responses = {
      signIn: await browser.fetch(`${server.url}/auth/interaction/${uid}`),
      signUp: await browser.fetch(`${server.url}/auth/interaction/${uid}/signup`),
      discovery: await fetch(`${server.url}/auth/.well-known/openid-configuration`),
      unknownClient: await fetch(`${server.url}/auth/oauth2/authorize?client_id=nobody`),
      signOut: await fetch(`${server.url}/auth/logout`),
      tokenError: await post('/oauth2/token', { grant_type: 'password' }),
    }
    for (const [name, response] of Object.entries(responses)) {
      const csp = response.headers.get('content-security-policy') ?? ''
      expect(csp, name).toContain("frame-ancestors 'none'")
      expect(csp, name).toContain("default-src 'none'")
      // No script, except the provider's auto-submitting sign-out form, allowed by its hash.
      expect(csp, name).toMatch(/script-src( 'sha256-[\w+/=]+')?(;|$)/)
      expect(response.headers.get('x-frame-options'), name).toBe('DENY')
      expect(response.headers.get('x-content-type-options'), name).toBe('nosniff')
      expect(response.headers.get('referrer-policy'), name).toBe('no-referrer')
      expect(response.headers.get('cache-control'), name).toContain('no-store')
    }
    // The pages' one inline stylesheet is the one the policy allows, by hash.
    const html = await responses.signIn.text()
    const style = /<style>([\s\S]*?)<\/style>/.exec(html)?.[1] ?? ''
    const hash = createHash('sha256').update(style).digest('base64')
    expect(responses.signIn.headers.get('content-security-policy')).toContain(`'sha256-${hash}'`)
    expect(html).not.toMatch(/<script|style="/)

    const signOut = await (await fetch(`${server.url}/auth/logout`)).text()
    const script = /<script>([\s\S]*?)<\/script>/.exec(signOut)?.[1] ?? ''
    expect(script).toContain('submit()')
    const scriptHash = createHash('sha256').update(script).digest('base64')
    expect(responses.signOut.headers.get('content-security-policy')).toContain(
      `script-src 'sha256-${scriptHash}'`,
    )
  })

  it('serves the favicon every page links to (the same file as the web client’s)', async () => {
    const { browser, uid } = await interaction()
    const html = await (await browser.fetch(`${server.url}/auth/interaction/${uid}`)).text()
    expect(html).toContain('<link rel="icon" href="/auth/favicon.svg"')
    const icon = await fetch(`${server.url}/auth/favicon.svg`)
    expect(icon.status).toBe(200)
    expect(icon.headers.get('content-type')).toBe('image/svg+xml')
    const webIcon = readFileSync(new URL('../../web/public/favicon.svg', import.meta.url), 'utf8')
    expect(await icon.text()).toBe(webIcon)
  })

  it('builds discovery from PUBLIC_URL, whatever Host the client sends', async () => {
    const result = await rawExchange(
      server.url,
      'GET /auth/.well-known/openid-configuration HTTP/1.1\r\nHost: evil.example\r\n' +
        'X-Forwarded-Host: evil.example\r\nX-Forwarded-Proto: gopher\r\nConnection: close\r\n\r\n',
    )
    expect(result.status).toBe(200)
    const discovery = JSON.parse(result.body) as Record<string, unknown>
    const urls = Object.values(discovery).filter(
      (value): value is string => typeof value === 'string' && /^\w+:\/\//.test(value),
    )
    expect(urls.length).toBeGreaterThan(5)
    for (const url of urls) expect(url).toMatch(/^http:\/\/localhost:3000\/auth(\/|$)/)
  })

  it.each(['state', 'nonce', 'login_hint'])(
    'answers invalid_request, not a 500, to a NUL byte in %s at authorize (found by the property test)',
    async (param) => {
      const params = authorizeParams({ [param]: 'a\u0000b' })
      const response = await fetch(`${server.url}/auth/oauth2/authorize?${params.toString()}`, {
        redirect: 'manual',
      })
      expect(response.status).toBe(303)
      const location = new URL(response.headers.get('location') ?? '')
      expect(location.searchParams.get('error')).toBe('invalid_request')
    },
  )

  it('refuses a request_uri with a NUL byte at authorize with 400', async () => {
    const params = new URLSearchParams({ client_id: 'votelab-web', request_uri: 'a\u0000b' })
    const response = await fetch(`${server.url}/auth/oauth2/authorize?${params.toString()}`, {
      redirect: 'manual',
    })
    expect(response.status).toBe(400)
  })
})

describe('no request makes the process hold more than it should', () => {
  let guarded: TestContext
  let url: string
  beforeAll(async () => {
    guarded = await createTestContext({ BODY_TIMEOUT_MS: '1000' })
    url = (await guarded.listen()).url
  })
  afterAll(() => guarded.close())

  const MB = 1024 * 1024
  const chunk = Buffer.alloc(64 * 1024, 'a')

  async function signInFormPath() {
    const { uid } = await startInteraction(url)
    return `/auth/interaction/${uid}/login`
  }

  it('answers a 100 KB Authorization header with a JSON 431', async () => {
    const result = await rawExchange(
      url,
      `GET /api/me HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${'a'.repeat(100_000)}\r\n\r\n`,
    )
    expect(result.status).toBe(431)
    expect(JSON.parse(result.body)).toEqual({
      error: { code: 'headers_too_large', message: expect.any(String) as string },
    })
  })

  it('answers malformed HTTP with a JSON 400', async () => {
    const result = await rawExchange(url, 'GET / HTTP/1.1\r\nHost x\r\n\r\n')
    expect(result.status).toBe(400)
    expect((JSON.parse(result.body) as ErrorAnswer).error.code).toBe('bad_request')
  })

  it('refuses a 64 MB sign-in form at once: 413, the rest discarded unbuffered, memory flat', async () => {
    const path = await signInFormPath()
    const before = process.memoryUsage().rss
    const result = await rawExchange(
      url,
      `POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n` +
        `Content-Length: ${String(64 * MB)}\r\n\r\n`,
      { total: 64 * MB, chunk },
    )
    const grewMb = (process.memoryUsage().rss - before) / MB
    expect(result.status).toBe(413)
    expect(result.closed).toBe(true)
    expect((JSON.parse(result.body) as ErrorAnswer).error.code).toBe('payload_too_large')
    expect(result.sent).toBeLessThan(64 * MB)
    expect(grewMb).toBeLessThan(8)
  })

  it('stops reading a chunked 64 MB body at the limit: 413 on /api, 411 on /auth', async () => {
    const chunked = (path: string) =>
      rawExchange(
        url,
        `POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n` +
          'Transfer-Encoding: chunked\r\n\r\n',
        // One 64 KiB chunk per write, chunk-framed; the body never ends on its own.
        {
          total: 64 * MB,
          chunk: Buffer.concat([Buffer.from('10000\r\n'), chunk, Buffer.from('\r\n')]),
        },
      )
    const api = await chunked('/api/polls')
    expect(api.status).toBe(413)
    expect(api.sent).toBeLessThan(64 * MB)
    const auth = await chunked('/auth/oauth2/token')
    expect(auth.status).toBe(411)
    expect((JSON.parse(auth.body) as ErrorAnswer).error.code).toBe('length_required')
  })

  it('ends a trickling body with 408 and a closed socket after BODY_TIMEOUT_MS', async () => {
    const token = await guarded.adminToken()
    const result = await rawExchange(
      url,
      `POST /api/polls HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\n` +
        'Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n',
      { total: 1000, chunk: Buffer.from('a'), intervalMs: 100 },
    )
    expect(result.status).toBe(408)
    expect((JSON.parse(result.body) as ErrorAnswer).error.code).toBe('request_timeout')
  })

  it('closes the connection of a body still trickling after its answer', async () => {
    const token = await guarded.adminToken()
    // The sign-in form answers at once (no interaction cookie); the body must not keep it open.
    for (const path of [await signInFormPath()]) {
      const result = await rawExchange(
        url,
        `POST ${path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\n` +
          'Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n',
        { total: 1000, chunk: Buffer.from('a'), intervalMs: 100 },
      )
      expect(result.closed, path).toBe(true)
      expect(result.ms).toBeLessThan(5_000)
    }
    expect((await fetch(`${url}/healthz`)).status).toBe(200)
  })
})

describe('live-result streams are capped per address and per process, and expire', () => {
  let capped: TestContext
  let url: string
  let pollId: string
  beforeAll(async () => {
    capped = await createTestContext({
      STREAMS_PER_ADDRESS: '3',
      STREAMS_PER_PROCESS: '5',
      STREAM_MAX_LIFETIME_MS: '1000',
      SSE_HEARTBEAT_MS: '100',
      TRUST_PROXY_HOPS: '1', // addresses come from X-Forwarded-For, as behind nginx
    })
    url = (await capped.listen()).url
    ;({ pollId } = await capped.openPoll())
  })
  afterAll(() => capped.close())

  const streamFrom = (address: string) =>
    fetch(`${url}/api/polls/${pollId}/results/stream`, {
      headers: { 'x-forwarded-for': address },
    })

  it('ends a stream after STREAM_MAX_LIFETIME_MS (±10 %), so clients reconnect', async () => {
    const started = performance.now()
    const response = await streamFrom('192.0.2.9')
    expect(response.status).toBe(200)
    await response.text() // resolves when the server ends the stream
    const lived = performance.now() - started
    expect(lived).toBeGreaterThan(800)
    expect(lived).toBeLessThan(2_500)
  })

  it('answers 429 past STREAMS_PER_ADDRESS and 503 past STREAMS_PER_PROCESS, with Retry-After', async () => {
    const fromA = await Promise.all([1, 2, 3].map(() => streamFrom('192.0.2.1')))
    expect(fromA.map((r) => r.status)).toEqual([200, 200, 200])
    const fourth = await streamFrom('192.0.2.1')
    expect(fourth.status).toBe(429)
    expect(Number(fourth.headers.get('retry-after'))).toBeGreaterThan(0)
    expect(((await fourth.json()) as ErrorAnswer).error.code).toBe('too_many_streams')

    const fromB = await Promise.all([1, 2].map(() => streamFrom('192.0.2.2')))
    expect(fromB.map((r) => r.status)).toEqual([200, 200])
    const full = await streamFrom('192.0.2.3')
    expect(full.status).toBe(503)
    expect(Number(full.headers.get('retry-after'))).toBeGreaterThan(0)

    // A closed stream gives its slot back.
    await fromA[0]?.body?.cancel()
    await expect
      .poll(async () => {
        const again = await streamFrom('192.0.2.3')
        await again.body?.cancel()
        return again.status
      })
      .toBe(200)
    for (const response of [...fromA, ...fromB])
      await response.body?.cancel().catch(() => undefined)
  })
})
