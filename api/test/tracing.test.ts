import { ROOT_CONTEXT, SpanKind, TraceFlags, context, trace } from '@opentelemetry/api'
import {
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type ReadableSpan,
} from '@opentelemetry/sdk-trace'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createLogger } from '../src/logger.ts'
import { createTestContext, type TestContext } from './support/context.ts'

/**
 * Traces out of an in-memory exporter: a request's server span (continuing the caller's
 * `traceparent`), the vote batch that links to every request it carried, the statement under it,
 * and log lines that name their trace and span.
 */
describe('traces', () => {
  const exporter = new InMemorySpanExporter()
  const lines: string[] = []
  let ctx: TestContext
  beforeAll(async () => {
    ctx = await createTestContext(
      {},
      {
        spanProcessor: new SimpleSpanProcessor({ exporter }),
        logger: createLogger('info', { write: (line: string) => lines.push(line) }),
      },
    )
  })
  afterAll(() => ctx.close())

  const spans = () => exporter.getFinishedSpans()
  const named = (name: string) => spans().filter((span) => span.name === name)
  const idOf = (span: ReadableSpan) => span.spanContext().spanId
  const parentOf = (span: ReadableSpan) => span.parentSpanContext?.spanId

  it('continues the caller’s trace and names the span by its route template', async () => {
    const { pollId } = await ctx.openPoll()
    exporter.reset()
    const traceId = '0af7651916cd43dd8448eb211c80319c'
    const callerSpan = 'b7ad6b7169203331'
    const response = await ctx.call('GET', `/api/polls/${pollId}`, {
      headers: { traceparent: `00-${traceId}-${callerSpan}-01` },
    })
    expect(response.status).toBe(200)
    const [server] = named('GET /api/polls/:pollId')
    expect(server?.kind).toBe(SpanKind.SERVER)
    expect(server?.spanContext().traceId).toBe(traceId)
    expect(server && parentOf(server)).toBe(callerSpan)
    expect(server?.attributes).toMatchObject({
      'http.request.method': 'GET',
      'http.route': '/api/polls/:pollId',
      'http.response.status_code': 200,
    })
  })

  it('links one batch span to the many requests it committed, with the statement under it', async () => {
    const { pollId, optionIds } = await ctx.openPoll()
    const tokens = await Promise.all(
      Array.from({ length: 6 }, (_, i) => ctx.voterToken(`traced-${String(i)}`)),
    )
    exporter.reset()
    // Six votes in one tick: they share batches (group commit), each request its own trace.
    const answers = await Promise.all(
      tokens.map((token) => ctx.castVote(token, pollId, optionIds[0] ?? '')),
    )
    expect(answers.map((answer) => answer.status)).toEqual(Array(6).fill(201))

    const requests = named('POST /api/polls/:pollId/votes')
    expect(requests).toHaveLength(6)
    expect(new Set(requests.map((span) => span.spanContext().traceId)).size).toBe(6)
    const batches = named('votelab.vote.batch')
    expect(batches.length).toBeGreaterThan(0)
    // Every request is linked from exactly one batch; each batch hangs under its first request.
    const linked = batches.flatMap((batch) => batch.links.map((link) => link.context.spanId))
    expect(linked.sort()).toEqual(requests.map(idOf).sort())
    for (const batch of batches) {
      expect(batch.attributes['votelab.vote.batch.size']).toBe(batch.links.length)
      expect(parentOf(batch)).toBe(batch.links[0]?.context.spanId)
      expect(batch.spanContext().traceId).toBe(batch.links[0]?.context.traceId)
      const statements = named('INSERT votelab_cast_votes').filter(
        (statement) => parentOf(statement) === idOf(batch),
      )
      expect(statements).toHaveLength(1)
      expect(statements[0]?.kind).toBe(SpanKind.CLIENT)
      expect(statements[0]?.attributes['db.system.name']).toBe('postgresql')
    }
  })

  it('makes one span of a group commit, linked to each vote it carried', async () => {
    const { pollId, optionIds } = await ctx.openPoll()
    exporter.reset()
    // Ten votes in one tick, each from a request of its own trace: two statements start at
    // once, the eight others wait and go together in the next.
    const callers = Array.from({ length: 10 }, (_, i) =>
      trace.wrapSpanContext({
        traceId: `${String(i).padStart(2, '0')}${'a'.repeat(30)}`,
        spanId: `${String(i).padStart(2, '0')}${'b'.repeat(14)}`,
        traceFlags: TraceFlags.SAMPLED,
      }),
    )
    const outcomes = await Promise.all(
      callers.map((caller, i) =>
        context.with(trace.setSpan(ROOT_CONTEXT, caller), () =>
          ctx.runtime.ballotBox.cast({
            pollId,
            optionId: optionIds[0] ?? '',
            voterSub: `grouped-${String(i)}`,
          }),
        ),
      ),
    )
    expect(outcomes.every((outcome) => outcome.ok)).toBe(true)
    const batches = named('votelab.vote.batch')
    expect(batches.map((batch) => batch.links.length).sort((a, b) => a - b)).toEqual([1, 1, 8])
    const grouped = batches.find((batch) => batch.links.length === 8)
    expect(grouped?.links.map((link) => link.context.spanId)).toEqual(
      callers.slice(2).map((caller) => caller.spanContext().spanId),
    )
    expect(grouped?.attributes['votelab.vote.batch.size']).toBe(8)
  })

  it('writes the trace and span ids into the request’s log line', async () => {
    exporter.reset()
    lines.length = 0
    await ctx.call('GET', '/api/polls')
    const [server] = named('GET /api/polls')
    const line = lines
      .map((text) => JSON.parse(text) as Record<string, unknown>)
      .find((entry) => entry.msg === 'request' && entry.path === '/api/polls')
    expect(line).toMatchObject({
      trace_id: server?.spanContext().traceId,
      span_id: server?.spanContext().spanId,
    })
  })
})

describe('callers’ traces ignored (OTEL_PROPAGATORS=none, as in AWS)', () => {
  it('starts every trace here, whatever traceparent says, at the configured ratio', async () => {
    const exporter = new InMemorySpanExporter()
    const ctx = await createTestContext(
      { OTEL_PROPAGATORS: 'none', OTEL_TRACES_SAMPLER_ARG: '0' },
      { spanProcessor: new SimpleSpanProcessor({ exporter }) },
    )
    try {
      // A caller asking for its trace to be recorded ("-01") with a trace id chosen to pass any
      // ratio sampler: with the sampler at 0 and callers ignored, nothing is recorded.
      const traceparent = `00-00000000000000000000000000000001-b7ad6b7169203331-01`
      for (let i = 0; i < 5; i++) {
        expect((await ctx.call('GET', '/api/polls', { headers: { traceparent } })).status).toBe(200)
      }
      expect(exporter.getFinishedSpans()).toEqual([])
    } finally {
      await ctx.close()
    }
    const always = new InMemorySpanExporter()
    const sampled = await createTestContext(
      { OTEL_PROPAGATORS: 'none', OTEL_TRACES_SAMPLER_ARG: '1' },
      { spanProcessor: new SimpleSpanProcessor({ exporter: always }) },
    )
    try {
      const traceId = '0af7651916cd43dd8448eb211c80319c'
      await sampled.call('GET', '/api/polls', {
        headers: { traceparent: `00-${traceId}-b7ad6b7169203331-01` },
      })
      const [server] = always.getFinishedSpans().filter((span) => span.name === 'GET /api/polls')
      expect(server).toBeDefined()
      expect(server?.spanContext().traceId).not.toBe(traceId)
      expect(server?.parentSpanContext).toBeUndefined()
    } finally {
      await sampled.close()
    }
  })
})

describe('tracing off (no collector)', () => {
  it('makes no spans and writes no ids', async () => {
    const lines: string[] = []
    const ctx = await createTestContext(
      {},
      { logger: createLogger('info', { write: (line: string) => lines.push(line) }) },
    )
    try {
      await ctx.call('GET', '/api/polls')
      const line = lines.find((text) => text.includes('"msg":"request"'))
      expect(line).toBeDefined()
      expect(line).not.toContain('trace_id')
    } finally {
      await ctx.close()
    }
  })
})
