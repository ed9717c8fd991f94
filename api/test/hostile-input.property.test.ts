import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { authorizeParams, startInteraction, type Browser } from './support/browser.ts'
import { createTestContext, type TestContext } from './support/context.ts'

// Generated hostile input against every route (issue 13): the routes come from the API's own
// OpenAPI document plus the sign-in provider's endpoints and the page's paths, so a new route is
// covered the day it is added. Each request must get a status below 500, the API's error shape
// when it fails, and the server must still answer afterwards. The seed is printed; rerun a
// failure with FC_SEED=<seed> (fast-check also prints the shrunk counterexample and its path).

const seed = Number(process.env.FC_SEED ?? Math.floor(Math.random() * 2 ** 31))
const RUNS = Number(process.env.FC_RUNS ?? 500)

let ctx: TestContext
let base: string
let admin: string
const ids: { open: string; closed: string; draft: string; option: string; tracker: string } = {
  open: '',
  closed: '',
  draft: '',
  option: '',
  tracker: '',
}
let interactionUid = ''
let interactionBrowser: Browser
let routes: { method: string; path: string; query: string[] }[] = []

beforeAll(async () => {
  console.log(
    `hostile-input property test: seed ${String(seed)} (rerun with FC_SEED=${String(seed)})`,
  )
  const web = mkdtempSync(join(tmpdir(), 'votelab-web-'))
  writeFileSync(join(web, 'index.html'), '<!doctype html><title>votelab</title>')
  ctx = await createTestContext({ WEB_DIST_DIR: web })
  base = (await ctx.listen()).url
  admin = await ctx.adminToken()

  const open = await ctx.openPoll(['Yes', 'No'])
  const closed = await ctx.openPoll(['Left', 'Right'])
  const voted = await ctx.call('POST', `/api/polls/${closed.pollId}/votes`, {
    token: await ctx.voterToken('property-voter'),
    body: { optionId: closed.optionIds[0] },
  })
  const { receipt } = (await voted.json()) as { receipt: { tracker: string } }
  await ctx.call('POST', `/api/polls/${closed.pollId}/close`, { token: admin })
  const draft = (await (
    await ctx.call('POST', '/api/polls', {
      token: admin,
      body: { title: 'd', options: ['a', 'b'] },
    })
  ).json()) as { id: string }
  Object.assign(ids, {
    open: open.pollId,
    closed: closed.pollId,
    draft: draft.id,
    option: open.optionIds[0] ?? '',
    tracker: receipt.tracker,
  })

  const doc = (await (await ctx.call('GET', '/api/openapi.json')).json()) as {
    paths: Record<string, Record<string, { parameters?: { in: string; name: string }[] }>>
  }
  routes = Object.entries(doc.paths).flatMap(([path, operations]) =>
    Object.entries(operations).map(([method, operation]) => ({
      method: method.toUpperCase(),
      path: `/api${path}`,
      query: (operation.parameters ?? []).filter((p) => p.in === 'query').map((p) => p.name),
    })),
  )
  expect(routes.length).toBeGreaterThanOrEqual(11)

  ;({ browser: interactionBrowser, uid: interactionUid } = await startInteraction(base))
})
afterAll(() => ctx.close())

// --- What an attacker types -----------------------------------------------------------------

const loneSurrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c))
const control = fc
  .oneof(fc.integer({ min: 0, max: 0x1f }), fc.integer({ min: 0x7f, max: 0x9f }))
  .map((c) => String.fromCharCode(c))
const bidi = fc.constantFrom('\u202a', '\u202b', '\u202c', '\u202d', '\u202e', '\u2066', '\u2069')
const oddNumber = fc.oneof(
  fc.constantFrom(
    '2147483648',
    '-1',
    '1e400',
    '1.5',
    'NaN',
    'Infinity',
    '0x10',
    '9'.repeat(40),
    '',
  ),
  fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }).map(String),
)
const oddDate = fc.oneof(
  fc.constantFrom(
    '0000-01-01T00:00:00Z',
    '0001-01-01T00:00:00Z',
    '1999-12-31T23:59:59Z',
    '9999-12-31T23:59:59-05:00',
    '+275760-09-13T00:00:00Z',
    '2026-02-30T00:00:00Z',
    '2026-01-01T24:00:00Z',
    '2026-01-01',
  ),
  fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
)
const pieces = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }),
  loneSurrogate,
  control,
  bidi,
  oddNumber,
  oddDate,
  fc.constantFrom('%', '%zz', '%c0%ae', '../', '..%2F', "' or 1=1 --", '<script>', '\u0000', ' '),
)
const hostileText = fc.array(pieces, { minLength: 0, maxLength: 6 }).map((parts) => parts.join(''))
const hostileJson: fc.Arbitrary<unknown> = fc.oneof(
  hostileText,
  fc.jsonValue({ maxDepth: 4 }),
  fc.anything({ maxDepth: 3 }),
)
const pollBody = fc.record(
  {
    title: hostileJson,
    description: hostileJson,
    options: fc.oneof(fc.array(hostileText, { maxLength: 25 }), hostileJson),
    opensAt: fc.oneof(oddDate, hostileJson),
    closesAt: fc.oneof(oddDate, hostileJson),
    publishBallots: hostileJson,
  },
  { requiredKeys: [] },
)
const voteBody = fc.record(
  { optionId: fc.oneof(fc.constant('option'), fc.uuid(), hostileJson) },
  { requiredKeys: [] },
)
const deepNesting = fc
  .integer({ min: 1, max: 6000 })
  .map((depth) => '['.repeat(depth) + ']'.repeat(depth))

const body = fc.oneof(
  pollBody.map((b) => JSON.stringify(b)),
  voteBody.map((b) => JSON.stringify(b).replace('"option"', JSON.stringify(ids.option))),
  hostileJson.map((value) => JSON.stringify(value) ?? 'undefined'),
  hostileText,
  deepNesting,
)

/** Escapes that no encoder produces: sent as they are. */
const rawEscape = fc.constantFrom('%', '%zz', '%ed%a0%80', '%00', '%c0%ae', '%ff%fe', '%25%')
/** A path parameter: a real id, or something else entirely. */
const pathValue = fc.oneof(
  fc.constantFrom('open', 'closed', 'draft', 'tracker'),
  fc.uuid(),
  hostileText,
  rawEscape.map((raw) => `raw:${raw}`),
)
const resolve = (value: string) => {
  if (value in ids) return ids[value as keyof typeof ids]
  if (value.startsWith('raw:')) return value.slice(4)
  // A URL carries UTF-8: a lone surrogate cannot travel in one (the raw escapes above try).
  return encodeURIComponent(value.toWellFormed())
}

const token = fc.oneof(
  fc.constant(undefined),
  fc.constant('admin'),
  fc.string({ maxLength: 30 }).map((sub) => ({ sub })), // any sub, including ones the API refuses
  fc.string({ unit: 'binary-ascii', maxLength: 200 }).map((junk) => `raw:${junk}`),
)

/** Header values fetch can send at all: visible ASCII and spaces. */
const headerText = fc
  .string({ unit: 'binary-ascii', maxLength: 300 })
  .map((s) => s.replace(/[^\x20-\x7e]/g, ''))

const apiRequest = fc.record({
  route: fc.integer({ min: 0, max: 1_000 }),
  method: fc.oneof(
    fc.constant(undefined),
    fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH'),
  ),
  params: fc.array(pathValue, { minLength: 3, maxLength: 3 }),
  // Names by index into the route's own documented query parameters (plus one it does not
  // know): a parameter added to the OpenAPI document is fuzzed without editing this list.
  query: fc.array(fc.tuple(fc.nat(), fc.oneof(hostileText, oddNumber)), { maxLength: 4 }),
  body: fc.option(body, { nil: undefined }),
  contentType: fc.constantFrom(
    'application/json',
    'application/json; charset=utf-8',
    'text/plain',
    'multipart/form-data; boundary=XX',
    'application/x-www-form-urlencoded',
  ),
  token,
  idempotencyKey: fc.option(headerText, { nil: undefined }),
})

const authRequest = fc.record({
  target: fc.constantFrom(
    'login',
    'signup',
    'confirm',
    'resend',
    'invite',
    'invitePage',
    'mailbox',
    'interaction',
    'token',
    'revoke',
    'authorize',
    'userinfo',
    'logout',
  ),
  fields: fc.dictionary(
    fc.constantFrom(
      'email',
      'password',
      'csrf',
      'to',
      'grant_type',
      'code',
      'refresh_token',
      'token',
      'client_id',
      'redirect_uri',
      'code_verifier',
      'request_uri',
      'response_type',
      'scope',
      'id_token_hint',
      'state',
      'nonce',
      'login_hint',
      'prompt',
      'max_age',
      'ui_locales',
      'claims',
    ),
    hostileText,
  ),
  uid: fc.oneof(fc.constant('real'), hostileText),
  contentType: fc.constantFrom(
    'application/x-www-form-urlencoded',
    'multipart/form-data; boundary=XX',
    'application/json',
  ),
})

const pagePath = fc.oneof(
  fc.array(pieces, { maxLength: 4 }).map((parts) => '/' + parts.map(resolve).join('/')),
  fc.constantFrom('/%', '/foo%zz', '/%c0%ae%c0%ae/package.json', '/api/nope%', '/a%00.js', '/.env'),
)

// --- The properties ---------------------------------------------------------------------------

async function tokenFor(choice: unknown) {
  if (choice === undefined) return undefined
  if (choice === 'admin') return admin
  if (typeof choice === 'string') return choice.slice(4)
  return ctx.voterToken((choice as { sub: string }).sub)
}

async function expectHandled(response: Response, what: string, apiShape: boolean) {
  if (response.headers.get('content-type')?.startsWith('text/event-stream')) {
    // A live-results stream never ends on its own: its status is the answer.
    await response.body?.cancel()
    expect(response.status, what).toBe(200)
    return
  }
  const text = await response.text()
  expect(
    response.status,
    `${what} → ${String(response.status)} ${text.slice(0, 300)}`,
  ).toBeLessThan(500)
  if (apiShape && response.status >= 400) {
    const parsed = JSON.parse(text) as { error?: { code?: unknown; message?: unknown } }
    expect(typeof parsed.error?.code, `${what}: ${text.slice(0, 300)}`).toBe('string')
    expect(typeof parsed.error?.message, what).toBe('string')
  }
}

async function stillAnswers() {
  expect((await fetch(`${base}/healthz`)).status).toBe(200)
}

describe(`generated hostile input (seed ${String(seed)})`, () => {
  it('never gets a 5xx from an API route, always the error shape, and the server keeps answering', async () => {
    await fc.assert(
      fc.asyncProperty(apiRequest, async (request) => {
        const route = routes[request.route % routes.length]
        if (!route) return
        let i = 0
        const path = route.path.replace(/\{[^}]+\}/g, () => resolve(request.params[i++] ?? ''))
        const names = [...route.query, 'x']
        const query = new URLSearchParams(
          request.query.map(([index, value]): [string, string] => [
            names[index % names.length] ?? 'x',
            value,
          ]),
        )
        const url = `${base}${path}${query.size ? `?${query.toString()}` : ''}`
        const headers: Record<string, string> = { 'content-type': request.contentType }
        const bearer = await tokenFor(request.token)
        if (bearer !== undefined)
          headers.authorization = `Bearer ${bearer.replace(/[^\x20-\x7e]/g, '')}`
        if (request.idempotencyKey !== undefined)
          headers['idempotency-key'] = request.idempotencyKey
        const method = request.method ?? route.method
        const response = await fetch(url, {
          method,
          headers,
          body: method === 'GET' || method === 'HEAD' ? undefined : request.body,
        })
        await expectHandled(response, `${method} ${url}`, true)
      }),
      { seed, numRuns: RUNS },
    )
    await stillAnswers()
  }, 180_000)

  it('never gets a 5xx from the sign-in provider or its forms', async () => {
    await fc.assert(
      fc.asyncProperty(authRequest, async (request) => {
        const uid = request.uid === 'real' ? interactionUid : resolve(request.uid)
        const form = new URLSearchParams(request.fields).toString()
        const post = (path: string) =>
          interactionBrowser.fetch(`${base}/auth${path}`, {
            method: 'POST',
            headers: { 'content-type': request.contentType },
            body: form,
          })
        const response = await {
          login: () => post(`/interaction/${uid}/login`),
          signup: () => post(`/interaction/${uid}/signup`),
          confirm: () => post(`/interaction/${uid}/confirm`),
          resend: () => post(`/interaction/${uid}/resend`),
          invite: () => post('/invite'),
          invitePage: () => fetch(`${base}/auth/invite?${form}`),
          mailbox: () => fetch(`${base}/auth/dev/mailbox?${form}`),
          interaction: () => interactionBrowser.fetch(`${base}/auth/interaction/${uid}`),
          token: () => post('/oauth2/token'),
          revoke: () => post('/oauth2/revoke'),
          // A valid request with hostile parameters mixed in, so they reach the provider's storage.
          authorize: () =>
            fetch(`${base}/auth/oauth2/authorize?${authorizeParams(request.fields).toString()}`, {
              redirect: 'manual',
            }),
          userinfo: () =>
            fetch(`${base}/auth/oauth2/userInfo`, {
              headers: {
                authorization: `Bearer ${(request.fields.token ?? '').replace(/[^\x21-\x7e]/g, '')}`,
              },
            }),
          logout: () => fetch(`${base}/auth/logout?${form}`, { redirect: 'manual' }),
        }[request.target]()
        await expectHandled(response, `${request.target} ${form.slice(0, 200)}`, false)
      }),
      { seed, numRuns: RUNS },
    )
    await stillAnswers()
  }, 180_000)

  it('never gets a 5xx for a page path, however it is encoded', async () => {
    await fc.assert(
      fc.asyncProperty(pagePath, async (path) => {
        const response = await fetch(`${base}${path}`, { redirect: 'manual' })
        await expectHandled(response, `GET ${path}`, response.status >= 400)
      }),
      { seed, numRuns: RUNS },
    )
    await stillAnswers()
  }, 180_000)
})
