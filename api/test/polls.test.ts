import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { InferRequestType } from 'hono/client'
import {
  bodyOf,
  createTestContext,
  type ApiClient,
  type ErrorAnswer,
  type TestContext,
} from './support/context.ts'

let ctx: TestContext
let admin: string
let voter: string
beforeAll(async () => {
  ctx = await createTestContext()
  admin = await ctx.adminToken()
  voter = await ctx.voterToken('voter-1')
})
afterAll(() => ctx.close())

type NewPoll = InferRequestType<ApiClient['api']['polls']['$post']>['json']

async function createDraft(json: NewPoll = { title: 'Lunch?', options: ['Pizza', 'Salad'] }) {
  const response = await ctx.client(admin).api.polls.$post({ json })
  expect(response.status).toBe(201)
  return bodyOf(response, 201)
}

describe('poll lifecycle', () => {
  it('creates a draft with its options in order', async () => {
    const poll = await createDraft({
      title: '  Lunch?  ',
      description: 'Friday',
      options: ['Pizza', 'Salad', 'Soup'],
    })
    expect(poll).toMatchObject({
      title: 'Lunch?',
      description: 'Friday',
      status: 'draft',
      totalVotes: 0,
      opensAt: null,
      closesAt: null,
    })
    expect(poll.options.map((o) => o.label)).toEqual(['Pizza', 'Salad', 'Soup'])
  })

  it('goes draft → open → closed, and refuses every other transition with 409', async () => {
    const poll = await createDraft()
    const thePoll = ctx.client(admin).api.polls[':pollId']
    const close = () => thePoll.close.$post({ param: { pollId: poll.id } })
    const open = () => thePoll.open.$post({ param: { pollId: poll.id } })

    const closeDraft = await close()
    expect(closeDraft.status).toBe(409)
    expect((await bodyOf(closeDraft, 409)).error.code).toBe('invalid_transition')

    const opened = await open()
    expect(opened.status).toBe(200)
    expect((await bodyOf(opened, 200)).status).toBe('open')
    expect((await open()).status).toBe(409)

    const closed = await close()
    expect(closed.status).toBe(200)
    expect((await bodyOf(closed, 200)).status).toBe('closed')
    expect((await close()).status).toBe(409)
    expect((await open()).status).toBe(409)
  })

  it('404s a transition of a poll that does not exist', async () => {
    const response = await ctx.call(
      'POST',
      '/api/polls/00000000-0000-4000-8000-00000000dead/open',
      { token: admin },
    )
    expect(response.status).toBe(404)
  })

  it('reads a poll whose closing time has passed as closed', async () => {
    const poll = await createDraft({
      title: 'Brief',
      options: ['a', 'b'],
      closesAt: new Date(Date.now() + 1500).toISOString(),
    })
    expect((await ctx.call('POST', `/api/polls/${poll.id}/open`, { token: admin })).status).toBe(
      200,
    )
    await new Promise((resolve) => setTimeout(resolve, 1700))
    const after = await bodyOf(
      await ctx.client().api.polls[':pollId'].$get({ param: { pollId: poll.id } }),
      200,
    )
    expect(after.status).toBe('closed')
    const vote = await ctx.call('POST', `/api/polls/${poll.id}/votes`, {
      token: voter,
      body: { optionId: after.options[0]?.id },
    })
    expect(vote.status).toBe(409)
    expect(((await vote.json()) as ErrorAnswer).error.code).toBe('poll_not_open')
  })
})

describe('listing and visibility', () => {
  it('hides drafts from voters and shows them to admins', async () => {
    const draft = await createDraft({ title: 'Secret draft', options: ['a', 'b'] })
    const asVoter = await bodyOf(await ctx.client(voter).api.polls.$get({ query: {} }), 200)
    expect(asVoter.polls.map((p) => p.id)).not.toContain(draft.id)
    const asAdmin = await bodyOf(await ctx.client(admin).api.polls.$get({ query: {} }), 200)
    expect(asAdmin.polls.map((p) => p.id)).toContain(draft.id)

    expect((await ctx.call('GET', `/api/polls/${draft.id}`)).status).toBe(404)
    expect((await ctx.call('GET', `/api/polls/${draft.id}/results`)).status).toBe(404)
    expect((await ctx.call('GET', `/api/polls/${draft.id}`, { token: admin })).status).toBe(200)
    expect((await ctx.call('GET', '/api/polls?status=draft', { token: voter })).status).toBe(403)
  })

  it('filters by status', async () => {
    const { pollId } = await ctx.openPoll()
    const polls = ctx.client().api.polls
    const open = await bodyOf(await polls.$get({ query: { status: 'open' } }), 200)
    expect(open.polls.every((p) => p.status === 'open')).toBe(true)
    expect(open.polls.map((p) => p.id)).toContain(pollId)
    const closed = await bodyOf(await polls.$get({ query: { status: 'closed' } }), 200)
    expect(closed.polls.map((p) => p.id)).not.toContain(pollId)
  })

  it('pages the list newest first: following `next` visits every poll exactly once', async () => {
    await Promise.all(
      Array.from({ length: 25 }, (_, i) =>
        createDraft({ title: `Paged ${i}`, options: ['a', 'b'] }),
      ),
    )
    const whole = await bodyOf(
      await ctx.client(admin).api.polls.$get({ query: { limit: '100' } }),
      200,
    )
    expect(whole.polls.length).toBeGreaterThanOrEqual(25)

    const visited: string[] = []
    let next: string | null = '/api/polls?limit=7'
    let pages = 0
    while (next) {
      const response = await ctx.call('GET', next, { token: admin })
      expect(response.status).toBe(200)
      // `next` is a ready-made URL: followed as it is, not rebuilt from typed parameters.
      const page = (await response.json()) as typeof whole
      expect(page.polls.length).toBeLessThanOrEqual(7)
      visited.push(...page.polls.map((p) => p.id))
      next = page.next
      pages += 1
    }
    expect(visited).toEqual(whole.polls.map((p) => p.id))
    expect(pages).toBe(Math.ceil(visited.length / 7))
  })

  it('keeps the status filter in `next`, and refuses limits outside 1–100 and bad cursors', async () => {
    await ctx.openPoll()
    await ctx.openPoll()
    const first = await bodyOf(
      await ctx.client().api.polls.$get({ query: { status: 'open', limit: '1' } }),
      200,
    )
    expect(new URL(first.next ?? '', 'http://x').searchParams.get('status')).toBe('open')
    for (const query of ['limit=0', 'limit=101', 'limit=1e9', 'after=1', 'after=%00']) {
      const response = await ctx.call('GET', `/api/polls?${query}`)
      expect(response.status, query).toBe(400)
      expect(((await response.json()) as ErrorAnswer).error.code).toBe('validation_failed')
    }
  })

  it('says whether the caller has voted when a token is sent', async () => {
    const { pollId, optionIds } = await ctx.openPoll()
    const asVoter = ctx.client(voter).api.polls[':pollId']
    const before = await bodyOf(await asVoter.$get({ param: { pollId } }), 200)
    expect(before.hasVoted).toBe(false)
    await asVoter.votes.$post({
      param: { pollId },
      json: { optionId: optionIds[0] ?? '' },
      header: {},
    })
    const after = await bodyOf(await asVoter.$get({ param: { pollId } }), 200)
    expect(after.hasVoted).toBe(true)
    const anonymous = (await (await ctx.call('GET', `/api/polls/${pollId}`)).json()) as object
    expect(anonymous).not.toHaveProperty('hasVoted')
  })

  it('lists a closed poll with each option’s final count (the home page names the winner)', async () => {
    const { pollId, optionIds } = await ctx.openPoll()
    const asVoter = ctx.client(voter).api.polls[':pollId']
    await asVoter.votes.$post({
      param: { pollId },
      json: { optionId: optionIds[1] ?? '' },
      header: {},
    })
    const listed = async () => {
      const page = await bodyOf(await ctx.client(admin).api.polls.$get({ query: {} }), 200)
      return page.polls.find((poll) => poll.id === pollId)?.options
    }
    // While open, no counts: a poll that hides its tally must not leak it through the list.
    expect((await listed())?.every((option) => !('votes' in option))).toBe(true)
    const close = ctx.client(admin).api.polls[':pollId'].close
    expect((await close.$post({ param: { pollId } })).status).toBe(200)
    expect((await listed())?.map((option) => option.votes)).toEqual([0, 1, 0])
  })
})

describe('input validation and error shape', () => {
  const cases: [string, unknown, string][] = [
    ['one option', { title: 'x', options: ['only'] }, 'options'],
    [
      '21 options',
      { title: 'x', options: Array.from({ length: 21 }, (_, i) => `o${i}`) },
      'options',
    ],
    ['duplicate labels', { title: 'x', options: ['Yes', 'yes'] }, 'options'],
    ['blank title', { title: '   ', options: ['a', 'b'] }, 'title'],
    ['blank option', { title: 'x', options: ['a', ' '] }, 'options.1'],
    ['missing title', { options: ['a', 'b'] }, 'title'],
    ['bad date', { title: 'x', options: ['a', 'b'], opensAt: 'tomorrow' }, 'opensAt'],
    [
      'closing before opening',
      {
        title: 'x',
        options: ['a', 'b'],
        opensAt: '2030-01-02T00:00:00Z',
        closesAt: '2030-01-01T00:00:00Z',
      },
      'closesAt',
    ],
    ['unknown field', { title: 'x', options: ['a', 'b'], colour: 'red' }, 'json'],
    ['an array body', ['a', 'b'], 'json'],
  ]
  it.each(cases)('rejects a poll with %s: 400 naming the field', async (_name, body, field) => {
    const response = await ctx.call('POST', '/api/polls', { token: admin, body })
    expect(response.status).toBe(400)
    const error = ((await response.json()) as ErrorAnswer).error
    expect(error.code).toBe('validation_failed')
    expect(error.details?.map((d) => d.path).join(' ')).toContain(field)
  })

  it('rejects malformed JSON with 400 invalid_json', async () => {
    const response = await ctx.call('POST', '/api/polls', { token: admin, body: '{"title": ' })
    expect(response.status).toBe(400)
    expect(((await response.json()) as ErrorAnswer).error.code).toBe('invalid_json')
  })

  it('rejects a body that is not declared as JSON with 415', async () => {
    const response = await ctx.call('POST', '/api/polls', {
      token: admin,
      body: '{"title":"x","options":["a","b"]}',
      headers: { 'content-type': 'text/plain' },
    })
    expect(response.status).toBe(415)
    expect(((await response.json()) as ErrorAnswer).error.code).toBe('unsupported_media_type')
  })

  it('rejects a chunked body over 16 KiB with 413, as well as a declared one', async () => {
    const chunks = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < 20; i++) controller.enqueue(new TextEncoder().encode(' '.repeat(1024)))
        controller.close()
      },
    })
    const response = await ctx.runtime.app.request('/api/polls', {
      method: 'POST',
      headers: {
        authorization: `Bearer ${admin}`,
        'content-type': 'application/json',
        'transfer-encoding': 'chunked',
      },
      body: chunks,
      duplex: 'half',
    })
    expect(response.status).toBe(413)
  })

  it('rejects a body over 16 KiB with 413', async () => {
    const response = await ctx.call('POST', '/api/polls', {
      token: admin,
      body: { title: 'x'.repeat(17 * 1024), options: ['a', 'b'] },
    })
    expect(response.status).toBe(413)
    expect(((await response.json()) as ErrorAnswer).error.code).toBe('payload_too_large')
  })

  it('rejects a poll id that is not a UUID with 400', async () => {
    const response = await ctx.call('GET', '/api/polls/not-a-uuid')
    expect(response.status).toBe(400)
    expect(((await response.json()) as ErrorAnswer).error.details?.[0]?.path).toBe('pollId')
  })

  it('rejects an unknown status filter with 400', async () => {
    expect((await ctx.call('GET', '/api/polls?status=archived')).status).toBe(400)
  })

  it('answers unknown API routes with a JSON 404', async () => {
    const response = await ctx.call('DELETE', '/api/polls')
    expect(response.status).toBe(404)
    expect(((await response.json()) as ErrorAnswer).error.code).toBe('not_found')
  })

  it('never answers 500 to hostile input', async () => {
    const { pollId } = await ctx.openPoll()
    const bodies = [
      'null',
      '"str"',
      '123',
      '[]',
      '{"optionId":null}',
      '{"optionId":{"$ne":1}}',
      '{"optionId":"\\u0000"}',
      '\u0000',
      '{"__proto__":{"admin":true}}',
    ]
    for (const body of bodies) {
      const response = await ctx.call('POST', `/api/polls/${pollId}/votes`, { token: voter, body })
      expect(response.status, body).toBe(400)
    }
    const weird = ['%00', '..%2F..%2Fetc', "1' or '1'='1", 'a'.repeat(5000)]
    for (const id of weird) {
      const response = await ctx.call('GET', `/api/polls/${id}/results`)
      expect(response.status, id).toBeLessThan(500)
    }
  })
})

describe('health and docs', () => {
  it('serves /healthz and /readyz', async () => {
    expect(await (await ctx.call('GET', '/healthz')).json()).toEqual({ status: 'ok' })
    expect((await ctx.call('GET', '/readyz')).status).toBe(200)
  })

  it('publishes an OpenAPI document covering every route, and Swagger UI', async () => {
    const doc = (await (await ctx.call('GET', '/api/openapi.json')).json()) as {
      openapi: string
      paths: Record<string, object>
    }
    expect(doc.openapi).toBe('3.1.0')
    expect(Object.keys(doc.paths).sort()).toEqual(
      [
        '/invitations',
        '/me',
        '/ops/metrics',
        '/polls',
        '/polls/{pollId}',
        '/polls/{pollId}/open',
        '/polls/{pollId}/close',
        '/polls/{pollId}/roll',
        '/polls/{pollId}/votes',
        '/polls/{pollId}/results',
        '/polls/{pollId}/results/stream',
        '/polls/{pollId}/ballots',
        '/polls/{pollId}/ballots/{tracker}',
      ].sort(),
    )
    const ui = await ctx.call('GET', '/api/docs')
    expect(ui.status).toBe(200)
    const html = await ui.text()
    expect(html).toContain('swagger-ui')
    // Served from here, under a policy that allows nothing from elsewhere and no inline script.
    expect(html).not.toMatch(/https?:\/\//)
    expect(html).not.toMatch(/<script>/)
    const csp = ui.headers.get('content-security-policy') ?? ''
    expect(csp).toContain("script-src 'self'")
    expect(csp).not.toContain('unsafe-inline')
    for (const [path, type] of [
      ['/api/docs/swagger-ui-bundle.js', 'text/javascript'],
      ['/api/docs/swagger-ui.css', 'text/css'],
      ['/api/docs/init.js', 'text/javascript'],
    ] as const) {
      const asset = await ctx.call('GET', path)
      expect(asset.status, path).toBe(200)
      expect(asset.headers.get('content-type'), path).toContain(type)
    }
    expect(await (await ctx.call('GET', '/api/docs/init.js')).text()).toContain('/api/openapi.json')
    expect((await ctx.call('GET', '/api/docs/package.json')).status).toBe(404)
    expect((await ctx.call('GET', '/api/docs/..%2F..%2Fpackage.json')).status).toBe(404)
  })

  it('says `pnpm run token` where it tells people how to get a token', async () => {
    const doc = (await (await ctx.call('GET', '/api/openapi.json')).json()) as {
      components: { securitySchemes: { bearerAuth: { description: string } } }
    }
    expect(doc.components.securitySchemes.bearerAuth.description).toContain('pnpm run token')
  })
})

describe('creation cap per admin', () => {
  it('answers 429 too_many_polls with Retry-After past POLLS_PER_ADMIN_PER_HOUR, per admin', async () => {
    const capped = await createTestContext({ POLLS_PER_ADMIN_PER_HOUR: '3' })
    try {
      const token = await capped.adminToken()
      const body = { title: 'x', options: ['a', 'b'] }
      for (let i = 0; i < 3; i++) {
        expect((await capped.call('POST', '/api/polls', { token, body })).status).toBe(201)
      }
      const refused = await capped.call('POST', '/api/polls', { token, body })
      expect(refused.status).toBe(429)
      expect(((await refused.json()) as ErrorAnswer).error.code).toBe('too_many_polls')
      const retryAfter = Number(refused.headers.get('retry-after'))
      expect(retryAfter).toBeGreaterThan(3500)
      expect(retryAfter).toBeLessThanOrEqual(3600)
      const other = await capped.issuer.mintAccessToken({ sub: 'admin-2', groups: ['admins'] })
      expect((await capped.call('POST', '/api/polls', { token: other, body })).status).toBe(201)
    } finally {
      await capped.close()
    }
  })
})
