import { createRoute, z } from '@hono/zod-openapi'
import type { HttpBindings } from '@hono/node-server'
import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response'
import type { Context } from 'hono'
import { streamSSE } from 'hono/streaming'
import { isAdmin } from '../auth/verify.ts'
import type { Db } from '../db/database.ts'
import type { AppEnv } from '../http/env.ts'
import { createRouter, errorResponse } from '../http/openapi.ts'
import { notFound } from '../http/errors.ts'
import { PollIdParams } from '../http/params.ts'
import type { SealObserver } from '../ballots/seal.ts'
import { getResults } from './repository.ts'
import { ResultsSchema, type Results, type ResultsCounts } from './schemas.ts'
import { clientAddress } from '../http/client-address.ts'
import type { ResultsHub } from './hub.ts'
import { StreamSlots, type StreamSlotLimits } from './stream-slots.ts'
import { EventStreams, Frames } from './event-streams.ts'

const resultsRoute = createRoute({
  method: 'get',
  path: '/{pollId}/results',
  tags: ['results'],
  summary: 'Current tally of a poll',
  request: { params: PollIdParams },
  responses: {
    200: { description: 'The tally', content: { 'application/json': { schema: ResultsSchema } } },
    404: errorResponse('No such poll'),
  },
})

const StreamQuery = z.object({
  frames: z
    .enum(['results', 'counts'])
    .default('results')
    .openapi({ description: '`counts`: numbers-only events between full snapshots.' }),
})

const streamRoute = createRoute({
  method: 'get',
  path: '/{pollId}/results/stream',
  tags: ['results'],
  summary: 'Live tally as Server-Sent Events',
  description:
    'A `results` event at once and after every change (coalesced to a few per second), a comment ' +
    'heartbeat every 15 s. With `frames=counts`, a change that only moves the numbers comes as a ' +
    '`counts` event instead — `{ totalVotes, votes, ballots, asOf }`, `votes` in the order of the ' +
    "last `results` event's options — about a fifth of the bytes; anything else (status, chain, " +
    'options, eligibility) still comes as a full `results` event.',
  request: { params: PollIdParams, query: StreamQuery },
  responses: {
    200: {
      description: '`text/event-stream` of `results` events',
      content: { 'text/event-stream': { schema: ResultsSchema } },
    },
    404: errorResponse('No such poll'),
    429: errorResponse('Too many open streams from this client address; see Retry-After'),
    503: errorResponse('This server holds as many streams as it can; see Retry-After'),
  },
})

/**
 * A broadcast's events, encoded once for every watcher (each gets the same tally and JSON, so the
 * last one is kept): the full `results` event, the numbers-only `counts` event, and what a
 * `counts` event leaves out (`shape`) — a stream that asked for counts gets `results` again
 * whenever that changes.
 */
interface BroadcastFrames {
  json: string
  results: Frames
  counts: Frames
  shape: string
}
let lastFrames: BroadcastFrames | undefined
function framesOf(results: Results, json: string): BroadcastFrames {
  if (lastFrames?.json !== json) {
    const counts: ResultsCounts = {
      totalVotes: results.totalVotes,
      votes: results.options.map((option) => option.votes),
      ballots: results.turnout.ballots,
      asOf: results.asOf,
    }
    lastFrames = {
      json,
      results: new Frames(`event: results\ndata: ${json}\n\n`),
      counts: new Frames(`event: counts\ndata: ${JSON.stringify(counts)}\n\n`),
      shape: JSON.stringify([
        results.pollId,
        results.status,
        results.resultsVisibility,
        results.options.map((option) => [option.optionId, option.label]),
        results.turnout.eligible,
        results.chain,
      ]),
    }
  }
  return lastFrames
}

/**
 * One stream's next event for each broadcast: `counts` only when it asked and the snapshot it
 * last got has the broadcast's shape; otherwise the full `results`.
 */
function framesFollower(countsOnly: boolean) {
  let shapeSent: string | undefined
  return (results: Results, json: string): Frames => {
    const frames = framesOf(results, json)
    const next = countsOnly && frames.shape === shapeSent ? frames.counts : frames.results
    shapeSent = frames.shape
    return next
  }
}

export interface ResultsRoutesDeps {
  db: Db
  hub: ResultsHub
  heartbeatMs: number
  /** Caps per client address and per process, and a lifetime (±10 %, so reconnects spread out). */
  streams: StreamSlotLimits & { maxLifetimeMs: number }
  trustProxyHops: number
  /** Told of each seal a read makes (a poll closed by its clock is sealed on first read). */
  sealObserver?: SealObserver | undefined
}

export function resultsRoutes({
  db,
  hub,
  heartbeatMs,
  streams,
  trustProxyHops,
  sealObserver,
}: ResultsRoutesDeps) {
  const slots = new StreamSlots(streams)
  const { maxLifetimeMs } = streams
  // One heartbeat for every stream; it also ends each at its lifetime.
  const eventStreams = new EventStreams(Math.min(heartbeatMs, maxLifetimeMs))
  hub.onClose(() => eventStreams.endAll())
  /** Drafts are invisible to everyone but admins, here as everywhere. */
  async function visibleResults(pollId: string, admin: boolean): Promise<Results> {
    const results = await getResults(db, pollId, sealObserver)
    if (!results || (results.status === 'draft' && !admin)) throw notFound('Poll')
    return results
  }

  return createRouter()
    .openapi(resultsRoute, async (c) => {
      const { pollId } = c.req.valid('param')
      return c.json(await visibleResults(pollId, isAdmin(c.var.principal)), 200)
    })
    .openapi(streamRoute, async (c) => {
      const { pollId } = c.req.valid('param')
      const countsOnly = c.req.valid('query').frames === 'counts'
      const admin = isAdmin(c.var.principal)
      // With a tally in hand (other watchers), a new watcher costs no query at all; without one,
      // watchers arriving together share one (hub.peek, then hub.first).
      const visible = await hub.peek(pollId)
      // A missing poll is a plain 404, not an empty stream.
      if (!visible || (visible.results.status === 'draft' && !admin)) throw notFound('Poll')
      const release = slots.acquire(clientAddress(c, trustProxyHops))
      const res = (c.env as Partial<HttpBindings> | undefined)?.outgoing
      if (!res) return streamWithWebStreams(c, pollId, countsOnly, release)

      // Straight onto the socket: Web Streams cost ~50 KB and a serialization per watcher, this
      // a few KB, and every watcher shares one encoded frame per broadcast (docs/operations.md).
      const endsAt = Date.now() + maxLifetimeMs * (0.9 + Math.random() * 0.2)
      const stream = eventStreams.start(res, endsAt, {
        'content-type': 'text/event-stream',
        'cache-control': 'no-cache',
        connection: 'keep-alive',
        'x-accel-buffering': 'no', // nginx and friends must not buffer the stream
      })
      let sentUpdate = false
      const nextFrame = framesFollower(countsOnly)
      const send = (results: Results, json: string) => stream.write(nextFrame(results, json))
      const unwatch = hub.watch(pollId, (results, json) => {
        sentUpdate = true
        send(results, json)
      })
      res.once('close', () => {
        unwatch()
        release()
      })
      // Loaded after watching, so no change can slip between the snapshot and the updates.
      const initial = await hub.first(pollId).catch(() => undefined)
      // A broadcast that beat it here is newer; don't follow that with older data.
      if (initial && !sentUpdate) send(initial.results, initial.json)
      return RESPONSE_ALREADY_SENT
    })

  /** For `app.request()` without a Node socket (unit tests): the same stream through Hono. */
  function streamWithWebStreams(
    c: Context<AppEnv>,
    pollId: string,
    countsOnly: boolean,
    release: () => void,
  ) {
    c.header('X-Accel-Buffering', 'no')
    return streamSSE(c, async (stream) => {
      stream.onAbort(release)
      let sentUpdate = false
      const nextFrame = framesFollower(countsOnly)
      const send = (results: Results, json: string) =>
        stream.write(nextFrame(results, json).raw).catch(() => undefined)
      const unwatch = hub.watch(pollId, (results, json) => {
        sentUpdate = true
        void send(results, json)
      })
      const initial = await hub.first(pollId).catch(() => undefined)
      if (initial && !sentUpdate) await send(initial.results, initial.json)
      const heartbeat = setInterval(() => {
        void stream.write(': heartbeat\n\n').catch(() => undefined)
      }, heartbeatMs)
      await new Promise<void>((resolve) => {
        stream.onAbort(resolve)
        const stopOnClose = hub.onClose(resolve)
        stream.onAbort(stopOnClose)
      })
      clearInterval(heartbeat)
      unwatch()
      release()
    })
  }
}
