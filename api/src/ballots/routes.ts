import { createRoute, z } from '@hono/zod-openapi'
import { isAdmin } from '../auth/verify.ts'
import type { Db } from '../db/database.ts'
import { ApiError, notFound } from '../http/errors.ts'
import { INT4_MAX, queryInt } from '../http/fields.ts'
import { createRouter, errorResponse } from '../http/openapi.ts'
import { PollIdParams } from '../http/params.ts'
import { ChainSchema, HASH_PATTERN } from './schemas.ts'
import { boardPage, findBallot, openBoard } from './board.ts'
import { CHAIN_FORMAT, type BoardEntry } from '@votelab/ballot-chain'
import { publicChain, type Seal, type SealObserver } from './seal.ts'

const MAX_PAGE = 1_000
/** Rows per query while streaming an export: memory stays flat whatever the poll's size. */
const EXPORT_SLICE = 5_000

const BoardEntrySchema = z
  .object({
    seq: z.number().int().openapi({ description: 'Position in the chain, 1…n, in tracker order' }),
    tracker: z.string().regex(/^[0-9a-f]{32}$/),
    optionId: z.uuid(),
    hash: z.string().regex(HASH_PATTERN).openapi({ description: 'SHA-256 of the entry, hex' }),
  })
  .openapi('BoardEntry')

const BoardQuery = z.object({
  after: queryInt({ min: 0, max: INT4_MAX, fallback: 0 }).openapi({
    param: { name: 'after', in: 'query' },
    description: 'Entries after this position (paging; JSON only)',
  }),
  limit: queryInt({ min: 1, max: MAX_PAGE, fallback: 500 }).openapi({
    param: { name: 'limit', in: 'query' },
    description: 'Entries per page (JSON only)',
  }),
  format: z
    .enum(['json', 'ndjson', 'csv'], { error: 'must be json, ndjson or csv' })
    .default('json')
    .openapi({
      param: { name: 'format', in: 'query' },
      description: '`json`: one page. `ndjson` or `csv`: the whole board, streamed.',
    }),
})

const TrackerParams = PollIdParams.extend({
  tracker: z
    .string()
    .regex(/^[0-9a-fA-F]{32}$/, 'must be the 32 hex digits of a receipt tracker')
    .transform((tracker) => tracker.toLowerCase())
    .openapi({
      param: { name: 'tracker', in: 'path' },
      example: '3f2a9c0d4b1e8f7a6c5d4e3f2a1b0c9d',
    }),
})

const BoardChainSchema = ChainSchema.omit({ published: true })

const boardRoute = createRoute({
  method: 'get',
  path: '/{pollId}/ballots',
  tags: ['ballots'],
  summary: 'The public bulletin board of a closed poll',
  description:
    'Every ballot of the poll (position, tracker, option, entry hash) in chain order, and the ' +
    'chain head. No identities and no times. Only once the poll is closed, and only if the poll ' +
    'publishes its ballots. Page with `after`/`limit`, or export everything with ' +
    '`format=ndjson|csv` (the head and length then come as `Votelab-Chain-Head` and ' +
    '`Votelab-Chain-Length` headers).',
  request: { params: PollIdParams, query: BoardQuery },
  responses: {
    200: {
      description: 'A page of the board (or, with `format`, the whole board streamed)',
      content: {
        'application/json': {
          schema: z.object({
            pollId: z.uuid(),
            chain: BoardChainSchema,
            ballots: z.array(BoardEntrySchema),
            next: z.string().nullable().openapi({ description: 'The next page’s URL, if any' }),
          }),
        },
        'application/x-ndjson': { schema: BoardEntrySchema },
        'text/csv': { schema: z.string() },
      },
    },
    400: errorResponse('Invalid query'),
    403: errorResponse('`ballots_not_published`: this poll keeps its ballots private'),
    404: errorResponse('No such poll'),
    409: errorResponse('`poll_not_closed`: the board opens when the poll closes'),
    503: errorResponse('`sealing`: the poll just closed and its chain is being built; retry'),
  },
})

const ballotRoute = createRoute({
  method: 'get',
  path: '/{pollId}/ballots/{tracker}',
  tags: ['ballots'],
  summary: 'One ballot on the board, by its receipt tracker',
  description:
    'The entry, its option, and the previous entry’s hash (to recompute this entry’s hash). ' +
    'The server sees which tracker you ask for: the web page’s check downloads the whole board ' +
    'and searches it in the browser instead.',
  request: { params: TrackerParams },
  responses: {
    200: {
      description: 'The ballot',
      content: {
        'application/json': {
          schema: z
            .object({
              pollId: z.uuid(),
              chain: BoardChainSchema,
              ballot: BoardEntrySchema.extend({ optionLabel: z.string() }),
              previousHash: z.string().regex(HASH_PATTERN),
            })
            .openapi('LocatedBallot'),
        },
      },
    },
    400: errorResponse('Invalid poll id or tracker'),
    403: errorResponse('`ballots_not_published`'),
    404: errorResponse('No such poll, or `ballot_not_found`: no ballot with this tracker'),
    409: errorResponse('`poll_not_closed`'),
    503: errorResponse('`sealing`'),
  },
})

const ndjsonLine = (entry: BoardEntry) => `${JSON.stringify(entry)}\n`
const csvLine = (entry: BoardEntry) =>
  `${String(entry.seq)},${entry.tracker},${entry.optionId},${entry.hash}\n`

export function ballotRoutes({ db, sealObserver }: { db: Db; sealObserver?: SealObserver }) {
  async function readableBoard(pollId: string, admin: boolean): Promise<Seal> {
    const access = await openBoard(db, pollId, admin, sealObserver)
    if (access.ok) return access.seal
    switch (access.reason) {
      case 'not_found':
        throw notFound('Poll')
      case 'not_closed':
        throw new ApiError(409, 'poll_not_closed', 'The ballots are published once the poll closes')
      case 'not_published':
        throw new ApiError(403, 'ballots_not_published', 'This poll does not publish its ballots')
      case 'sealing':
        throw new ApiError(503, 'sealing', 'The ballots are being sealed right now; retry', {
          headers: { 'Retry-After': '2' },
        })
    }
  }

  /** The whole board, a slice of rows at a time, pulled as fast as the client reads. */
  function exportStream(pollId: string, line: (entry: BoardEntry) => string, header = '') {
    const encoder = new TextEncoder()
    let after = 0
    return new ReadableStream<Uint8Array>({
      start(controller) {
        if (header) controller.enqueue(encoder.encode(header))
      },
      async pull(controller) {
        const entries = await boardPage(db, pollId, after, EXPORT_SLICE)
        const last = entries.at(-1)
        if (!last) {
          controller.close()
          return
        }
        after = last.seq
        controller.enqueue(encoder.encode(entries.map(line).join('')))
      },
    })
  }

  return createRouter()
    .openapi(boardRoute, async (c) => {
      const { pollId } = c.req.valid('param')
      const { after, limit, format } = c.req.valid('query')
      const seal = await readableBoard(pollId, isAdmin(c.var.principal))
      if (format !== 'json') {
        const csv = format === 'csv'
        return new Response(
          exportStream(
            pollId,
            csv ? csvLine : ndjsonLine,
            csv ? 'seq,tracker,optionId,hash\n' : '',
          ),
          {
            headers: {
              'content-type': csv ? 'text/csv; charset=utf-8' : 'application/x-ndjson',
              'content-disposition': `attachment; filename="votelab-${pollId}-ballots.${format}"`,
              'votelab-chain-format': CHAIN_FORMAT,
              'votelab-chain-head': seal.chainHead,
              'votelab-chain-length': String(seal.ballotCount),
            },
          },
        )
      }
      const ballots = await boardPage(db, pollId, after, limit)
      const last = ballots.at(-1)
      const next =
        last && last.seq < seal.ballotCount
          ? `/api/polls/${pollId}/ballots?after=${String(last.seq)}&limit=${String(limit)}`
          : null
      return c.json({ pollId, chain: publicChain(seal), ballots, next }, 200)
    })
    .openapi(ballotRoute, async (c) => {
      const { pollId, tracker } = c.req.valid('param')
      const seal = await readableBoard(pollId, isAdmin(c.var.principal))
      const found = await findBallot(db, pollId, tracker)
      if (!found) {
        throw new ApiError(404, 'ballot_not_found', 'No ballot of this poll has that tracker')
      }
      return c.json({ pollId, chain: publicChain(seal), ...found }, 200)
    })
}
