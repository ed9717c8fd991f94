import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  METRIC_CATALOGUE,
  VOTE_OUTCOMES,
  type CataloguedMetric,
} from '../src/observability/catalogue.ts'
import { createAccount } from '../src/auth/provider/accounts.ts'
import type { HttpListener } from '../src/http-server.ts'
import { Browser } from './support/browser.ts'
import { bodyOf, createTestContext, type TestContext } from './support/context.ts'
import { parsePrometheusText } from './support/prometheus-text.ts'
import { signIn } from './support/sign-in-flow.ts'

/**
 * The API's metrics, read as Prometheus reads them: scraped over HTTP from METRICS_PORT after
 * real requests. Counters are compared before and after, so the order of the tests is free.
 */
describe('metrics on METRICS_PORT', () => {
  let ctx: TestContext
  let server: HttpListener
  beforeAll(async () => {
    ctx = await createTestContext(
      // Client addresses from X-Forwarded-For, as behind nginx: the test plays an attacker and the owner.
      { METRICS_PORT: '0', VOTE_QUEUE_MAX: '3', VOTE_QUEUE_WAIT_MS: '150', TRUST_PROXY_HOPS: '1' },
      {
        signIn: {
          limits: {
            perAccountAddress: { max: 2, windowMs: 60_000 },
            perAddress: { max: 50, windowMs: 60_000 },
            accountBackoff: { after: 50, windowMs: 60_000, baseMs: 1, maxMs: 1 },
          },
        },
      },
    )
    server = await ctx.listen()
  })
  afterAll(() => ctx.close())

  /** One scrape: `value('votelab_votes_total', { votelab_vote_outcome: 'cast' })`. */
  async function scrape() {
    const url = ctx.runtime.metricsUrl ?? ''
    const response = await fetch(url)
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toMatch(/^text\/plain/)
    const samples = parsePrometheusText(await response.text())
    const sum = (name: string, labels: Record<string, string>) =>
      samples
        .filter(
          (sample) =>
            sample.name === name &&
            Object.entries(labels).every(([key, value]) => sample.labels[key] === value),
        )
        .reduce((total, sample) => total + sample.value, 0)
    return {
      samples,
      has: (name: string) => samples.some((sample) => sample.name === name),
      /** A counter's or gauge's value (summed over the series that match), 0 when absent. */
      value: (name: string, labels: Record<string, string> = {}) => sum(name, labels),
      /** How many observations a histogram holds (summed over the matching series). */
      count: (name: string, labels: Record<string, string> = {}) => sum(`${name}_count`, labels),
    }
  }

  it('serves Prometheus text on its own loopback port, never on the API’s', async () => {
    const url = new URL(ctx.runtime.metricsUrl ?? 'http://missing')
    expect(url.hostname).toBe('127.0.0.1')
    expect(url.port).not.toBe(new URL(server.url).port)
    const onApiPort = await (await fetch(`${server.url}/metrics`)).text()
    expect(onApiPort).not.toContain('# TYPE')
    const { samples } = await scrape()
    expect(samples.find((sample) => sample.name === 'target_info')?.labels).toMatchObject({
      service_name: 'votelab-api',
    })
  })

  it('counts votes by outcome, with the HTTP rate, errors and duration per route template', async () => {
    const before = await scrape()
    const { pollId, optionIds } = await ctx.openPoll()
    const option = optionIds[0] ?? ''
    const [ada, bob] = await Promise.all([ctx.voterToken('m-ada'), ctx.voterToken('m-bob')])
    expect((await ctx.castVote(ada, pollId, option)).status).toBe(201)
    expect((await ctx.castVote(bob, pollId, option)).status).toBe(201)
    expect((await ctx.castVote(ada, pollId, option)).status).toBe(409)
    const after = await scrape()

    const delta = (name: string, labels: Record<string, string>) =>
      after.value(name, labels) - before.value(name, labels)
    expect(delta('votelab_votes_total', { votelab_vote_outcome: 'cast' })).toBe(2)
    expect(delta('votelab_votes_total', { votelab_vote_outcome: 'already_voted' })).toBe(1)
    const route = { http_route: '/api/polls/:pollId/votes', http_request_method: 'POST' }
    const requests = (status: string) =>
      after.count('http_server_request_duration', {
        ...route,
        http_response_status_code: status,
      }) -
      before.count('http_server_request_duration', {
        ...route,
        http_response_status_code: status,
      })
    expect(requests('201')).toBe(2)
    expect(requests('409')).toBe(1)
    // No series per poll: the path's id never becomes a label.
    expect(JSON.stringify(after.samples)).not.toContain(pollId)
    expect(after.count('votelab_vote_batch_size') - before.count('votelab_vote_batch_size')).toBe(3)
    expect(after.count('votelab_vote_batch_duration')).toBeGreaterThan(0)
  })

  it('counts the votes it sheds, and shows the queue', async () => {
    const { pollId, optionIds } = await ctx.openPoll()
    const before = await scrape()
    // Ten votes in one tick: two statements start, three wait (VOTE_QUEUE_MAX), five are shed.
    await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        ctx.runtime.ballotBox.cast({
          pollId,
          optionId: optionIds[0] ?? '',
          voterSub: `shed-${String(i)}`,
        }),
      ),
    )
    const after = await scrape()
    expect(
      after.value('votelab_vote_shed_total', { votelab_shed_reason: 'queue_full' }) -
        before.value('votelab_vote_shed_total', { votelab_shed_reason: 'queue_full' }),
    ).toBe(5)
    expect(
      after.value('votelab_votes_total', { votelab_vote_outcome: 'overloaded' }) -
        before.value('votelab_votes_total', { votelab_vote_outcome: 'overloaded' }),
    ).toBe(5)
    expect(after.has('votelab_vote_queue_depth')).toBe(true)
    expect(after.value('votelab_vote_queue_depth')).toBe(0)
  })

  it('shows live-result watchers come and go, and times the broadcasts they get', async () => {
    const { pollId, optionIds } = await ctx.openPoll()
    const before = await scrape()
    const controller = new AbortController()
    const stream = await fetch(`${server.url}/api/polls/${pollId}/results/stream`, {
      signal: controller.signal,
    })
    expect(stream.status).toBe(200)
    const reader = stream.body?.getReader()
    await reader?.read()
    await expect
      .poll(async () => (await scrape()).value('votelab_results_watchers'))
      .toBe(before.value('votelab_results_watchers') + 1)
    expect(
      (await ctx.castVote(await ctx.voterToken('m-watched'), pollId, optionIds[0] ?? '')).status,
    ).toBe(201)
    await expect
      .poll(async () => (await scrape()).count('votelab_results_broadcast_duration'))
      .toBeGreaterThan(before.count('votelab_results_broadcast_duration'))
    controller.abort()
    await reader?.cancel().catch(() => undefined)
    await expect
      .poll(async () => (await scrape()).value('votelab_results_watchers'))
      .toBe(before.value('votelab_results_watchers'))
  })

  it('gives admins this process’s snapshot for the operations page, and no one else', async () => {
    const admin = await ctx.adminToken()
    const snapshot = async () => {
      const response = await ctx.client(admin).api.ops.metrics.$get()
      expect(response.headers.get('cache-control')).toBe('no-store')
      return bodyOf(response, 200)
    }
    const before = await snapshot()
    const { pollId, optionIds } = await ctx.openPoll()
    const token = await ctx.voterToken('ops-voter')
    expect((await ctx.castVote(token, pollId, optionIds[0] ?? '')).status).toBe(201)
    expect((await ctx.castVote(token, pollId, optionIds[0] ?? '')).status).toBe(409)
    const after = await snapshot()
    expect((after.votes.cast ?? 0) - (before.votes.cast ?? 0)).toBe(1)
    expect((after.votes.already_voted ?? 0) - (before.votes.already_voted ?? 0)).toBe(1)
    const votesTimed = (s: typeof after) => s.voteLatency.counts.reduce((a, b) => a + b, 0)
    expect(votesTimed(after) - votesTimed(before)).toBe(2)
    expect(after.voteLatency.boundaries.length + 1).toBe(after.voteLatency.counts.length)
    expect(after.batches.count).toBeGreaterThan(before.batches.count)
    expect(after.requests.total).toBeGreaterThan(before.requests.total)
    expect(Date.parse(after.at)).toBeGreaterThanOrEqual(Date.parse(before.at))

    expect((await ctx.call('GET', '/api/ops/metrics')).status).toBe(401)
    expect((await ctx.call('GET', '/api/ops/metrics', { token })).status).toBe(403)
  })

  it.skipIf(process.env.TEST_DB !== 'postgres')('shows the connection pool by state', async () => {
    const now = await scrape()
    expect(now.has('db_client_connection_count')).toBe(true)
    expect(
      now.value('db_client_connection_count', { db_client_connection_state: 'idle' }) +
        now.value('db_client_connection_count', { db_client_connection_state: 'used' }),
    ).toBeGreaterThan(0)
    expect(now.value('db_client_connection_pending_requests')).toBe(0)
  })

  it('counts sign-ins by outcome, throttled ones included', async () => {
    await createAccount(ctx.runtime.database.db, 'metered@example.com', 'Right-pass-1', [], {
      verified: true,
    })
    const before = await scrape()
    const attacker = () => new Browser({ 'x-forwarded-for': '198.51.100.9' })
    for (let i = 0; i < 3; i++)
      await signIn(server, 'metered@example.com', 'Wrong-pass-1', attacker())
    await signIn(server, 'metered@example.com', 'Right-pass-1')
    const after = await scrape()
    const delta = (outcome: string) =>
      after.value('votelab_sign_in_attempts_total', { votelab_sign_in_outcome: outcome }) -
      before.value('votelab_sign_in_attempts_total', { votelab_sign_in_outcome: outcome })
    expect(delta('failure')).toBe(2)
    expect(delta('throttled')).toBe(1)
    expect(delta('success')).toBe(1)
  })

  it('times each seal and counts the ballots it chains', async () => {
    const { pollId, optionIds } = await ctx.openPoll()
    for (const voter of ['seal-ada', 'seal-bob', 'seal-cy']) {
      expect(
        (await ctx.castVote(await ctx.voterToken(voter), pollId, optionIds[0] ?? '')).status,
      ).toBe(201)
    }
    const before = await scrape()
    const closed = await ctx.call('POST', `/api/polls/${pollId}/close`, {
      token: await ctx.adminToken(),
    })
    expect(closed.status).toBe(200)
    // Reading the results again finds the seal made: no second one.
    expect((await ctx.call('GET', `/api/polls/${pollId}/results`)).status).toBe(200)
    const after = await scrape()
    expect(
      after.count('votelab_poll_seal_duration') - before.count('votelab_poll_seal_duration'),
    ).toBe(1)
    expect(
      after.value('votelab_poll_sealed_ballots_total') -
        before.value('votelab_poll_sealed_ballots_total'),
    ).toBe(3)
  })

  // Last in this block: by now the runtime has cast, refused and shed votes, streamed results
  // and signed people in, so nearly every instrument has recorded something.
  it('records exactly the metrics its catalogue lists, with their units and attributes', async () => {
    const recorded = (await ctx.runtime.collectMetrics()).scopeMetrics.flatMap(
      (scope) => scope.metrics,
    )
    const catalogue = new Map<string, CataloguedMetric>(
      Object.values(METRIC_CATALOGUE).map((entry) => [entry.name, entry]),
    )
    for (const metric of recorded) {
      const entry = catalogue.get(metric.descriptor.name)
      expect(entry, metric.descriptor.name).toBeDefined()
      expect(metric.descriptor.unit, metric.descriptor.name).toBe(entry?.unit)
      for (const point of metric.dataPoints) {
        for (const key of Object.keys(point.attributes)) {
          expect(entry?.attributes, `${metric.descriptor.name} {${key}}`).toContain(key)
        }
        const outcome = point.attributes['votelab.vote.outcome']
        if (outcome !== undefined) expect(VOTE_OUTCOMES as readonly unknown[]).toContain(outcome)
      }
    }
    // The pool's metrics exist on Postgres only (PGlite is one embedded connection), and LISTEN
    // reconnects only after an outage.
    const names = new Set(recorded.map((metric) => metric.descriptor.name))
    const expected = [...catalogue.keys()].filter(
      (name) =>
        (process.env.TEST_DB === 'postgres' || !name.startsWith('db.client.connection')) &&
        name !== METRIC_CATALOGUE.listenReconnects.name,
    )
    expect(expected.filter((name) => !names.has(name))).toEqual([])
  })
})

describe('metrics and traces pushed over OTLP (OTEL_EXPORTER_OTLP_ENDPOINT)', () => {
  it('sends them, and the traces, to the collector, with no Prometheus port', async () => {
    const collector = await startCollector()
    const ctx = await createTestContext({
      OTEL_EXPORTER_OTLP_ENDPOINT: collector.url,
      OTEL_METRIC_EXPORT_INTERVAL: '200',
    })
    const bodies = () => collector.received.map((r) => `${r.method} ${r.path} ${r.body}`)
    try {
      expect(ctx.runtime.metricsUrl).toBeUndefined()
      const { pollId, optionIds } = await ctx.openPoll()
      expect(
        (await ctx.castVote(await ctx.voterToken('otlp'), pollId, optionIds[0] ?? '')).status,
      ).toBe(201)
      await expect
        .poll(
          () =>
            bodies().some(
              (body) => body.startsWith('POST /v1/metrics') && body.includes('votelab.votes'),
            ),
          {
            timeout: 5_000,
          },
        )
        .toBe(true)
      // Spans go in batches: closing the runtime flushes them to the same collector.
      await ctx.close()
      expect(
        bodies().some(
          (body) =>
            body.startsWith('POST /v1/traces') && body.includes('POST /api/polls/:pollId/votes'),
        ),
      ).toBe(true)
    } finally {
      await ctx.close().catch(() => undefined)
      await collector.close()
    }
  })
})

describe('metrics shaped for CloudWatch (what the collector in AWS is sent)', () => {
  it('pushes deltas, and exponential histograms CloudWatch can take percentiles of', async () => {
    const collector = await startCollector()
    const pushes = () =>
      collector.received
        .filter((request) => request.path === '/v1/metrics')
        .map((request) => JSON.parse(request.body) as OtlpMetrics)
    const ctx = await createTestContext({
      OTEL_EXPORTER_OTLP_ENDPOINT: collector.url,
      OTEL_METRIC_EXPORT_INTERVAL: '200',
      OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE: 'delta',
      OTEL_EXPORTER_OTLP_METRICS_DEFAULT_HISTOGRAM_AGGREGATION:
        'base2_exponential_bucket_histogram',
      OTEL_TRACES_EXPORTER: 'none',
    })
    try {
      const { pollId, optionIds } = await ctx.openPoll()
      const vote = async (voter: string) =>
        (await ctx.castVote(await ctx.voterToken(voter), pollId, optionIds[0] ?? '')).status
      expect(await vote('delta-1')).toBe(201)
      const metric = (name: string) =>
        pushes()
          .flatMap((push) => push.resourceMetrics)
          .flatMap((resource) => resource.scopeMetrics)
          .flatMap((scope) => scope.metrics)
          .filter((m) => m.name === name)
      await expect.poll(() => metric('votelab.votes').length, { timeout: 5_000 }).toBeGreaterThan(0)
      const duration = metric('http.server.request.duration')[0]
      expect(duration?.exponentialHistogram?.dataPoints.length).toBeGreaterThan(0)
      expect(duration?.histogram).toBeUndefined()
      // Delta: each push carries what happened since the last one — a second vote shows as 1.
      const delta = 1 // AggregationTemporality.DELTA in OTLP
      expect(metric('votelab.votes')[0]?.sum?.aggregationTemporality).toBe(delta)
      const pushed = pushes().length
      expect(await vote('delta-2')).toBe(201)
      await expect.poll(() => pushes().length, { timeout: 5_000 }).toBeGreaterThan(pushed + 1)
      const cast = metric('votelab.votes')
        .flatMap((m) => m.sum?.dataPoints ?? [])
        .filter((point) =>
          point.attributes.some(
            (a) => a.key === 'votelab.vote.outcome' && a.value.stringValue === 'cast',
          ),
        )
        .map((point) => Number(point.asInt ?? point.asDouble ?? 0))
      expect(cast.reduce((sum, value) => sum + value, 0)).toBe(2)
      expect(Math.max(...cast)).toBe(1)
    } finally {
      await ctx.close()
      await collector.close()
    }
  })
})

/** A stand-in OTLP/HTTP collector: it answers 200 and keeps every request it was sent. */
async function startCollector() {
  const received: { method: string; path: string; body: string }[] = []
  const server = createServer((request, response) => {
    let body = ''
    request.on('data', (chunk: Buffer) => (body += chunk.toString()))
    request.on('end', () => {
      received.push({ method: request.method ?? '', path: request.url ?? '', body })
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}')
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${String((server.address() as AddressInfo).port)}`,
    received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}

/** The slice of OTLP/JSON these tests read. */
interface OtlpMetrics {
  resourceMetrics: {
    scopeMetrics: {
      metrics: {
        name: string
        sum?: {
          aggregationTemporality: number
          dataPoints: {
            attributes: { key: string; value: { stringValue?: string } }[]
            asInt?: number | string
            asDouble?: number
          }[]
        }
        histogram?: unknown
        exponentialHistogram?: { dataPoints: unknown[] }
      }[]
    }[]
  }[]
}

describe('metrics off (no METRICS_PORT)', () => {
  it('serves no Prometheus port', async () => {
    const ctx = await createTestContext()
    try {
      expect(ctx.runtime.metricsUrl).toBeUndefined()
    } finally {
      await ctx.close()
    }
  })
})
