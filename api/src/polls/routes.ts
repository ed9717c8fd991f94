import { createRoute, z } from '@hono/zod-openapi'
import { requireAdmin } from '../auth/middleware.ts'
import { isAdmin } from '../auth/verify.ts'
import type { Db, PollStatus } from '../db/database.ts'
import { ApiError, notFound } from '../http/errors.ts'
import { bearerAuth, createRouter, errorResponse } from '../http/openapi.ts'
import { PollIdParams } from '../http/params.ts'
import type { Logger } from 'pino'
import type { GroupSize } from '../auth/group-size.ts'
import type { VerifiedMailbox } from '../auth/verified-email.ts'
import { mailboxForRoll } from '../auth/eligibility.ts'
import type { SealObserver } from '../ballots/seal.ts'
import * as polls from './repository.ts'
import { readRollFile } from './roll-file.ts'
import {
  CreatePollBody,
  ListPollsQuery,
  PollDetailSchema,
  PollSchema,
  isEligible,
} from './schemas.ts'

const listRoute = createRoute({
  method: 'get',
  path: '/',
  tags: ['polls'],
  summary: 'List polls',
  description: 'Open and closed polls for everyone; drafts too for admins.',
  request: { query: ListPollsQuery },
  responses: {
    200: {
      description: 'Polls, newest first, a page at a time',
      content: {
        'application/json': {
          schema: z.object({
            polls: z.array(PollSchema),
            next: z.string().nullable().openapi({ description: 'The next page’s URL, if any' }),
          }),
        },
      },
    },
    400: errorResponse('Invalid query'),
    403: errorResponse('Drafts asked for by a non-admin'),
  },
})

const getRoute = createRoute({
  method: 'get',
  path: '/{pollId}',
  tags: ['polls'],
  summary: 'One poll',
  request: { params: PollIdParams },
  responses: {
    200: { description: 'The poll', content: { 'application/json': { schema: PollDetailSchema } } },
    404: errorResponse('No such poll'),
  },
})

const createPollRoute = createRoute({
  method: 'post',
  path: '/',
  tags: ['polls'],
  summary: 'Create a draft poll (admins)',
  security: bearerAuth,
  middleware: [requireAdmin] as const,
  request: {
    body: { content: { 'application/json': { schema: CreatePollBody } }, required: true },
  },
  responses: {
    201: { description: 'The new draft', content: { 'application/json': { schema: PollSchema } } },
    400: errorResponse('Invalid body'),
    401: errorResponse('No valid token'),
    403: errorResponse('Not an admin'),
    429: errorResponse('`too_many_polls`: this admin created its hourly maximum; see Retry-After'),
  },
})

const transitionRoute = (to: 'open' | 'close') =>
  createRoute({
    method: 'post',
    path: `/{pollId}/${to}`,
    tags: ['polls'],
    summary: to === 'open' ? 'Open a draft for voting (admins)' : 'Close an open poll (admins)',
    security: bearerAuth,
    middleware: [requireAdmin] as const,
    request: { params: PollIdParams },
    responses: {
      200: {
        description: 'The poll after the change',
        content: { 'application/json': { schema: PollSchema } },
      },
      401: errorResponse('No valid token'),
      403: errorResponse('Not an admin'),
      404: errorResponse('No such poll'),
      409: errorResponse(
        to === 'open'
          ? '`invalid_transition`: not a draft; `empty_roll`: a roll poll with nobody on its roll'
          : '`invalid_transition`: the poll is not open',
      ),
    },
  })

const rollRoute = createRoute({
  method: 'put',
  path: '/{pollId}/roll',
  tags: ['polls'],
  summary: 'Replace a draft’s voter roll (admins)',
  description:
    'The whole roll, as `text/csv`: one address per line, or a spreadsheet export with an ' +
    '`email` column. Up to 100,000 entries and 8 MiB. Case and `+tags` are folded ' +
    '(`Ada+x@Example.org` is `ada@example.org`); a file with any entry that is not an address ' +
    'is refused whole, naming the records. Only while the poll is a draft.',
  security: bearerAuth,
  middleware: [requireAdmin] as const,
  request: {
    params: PollIdParams,
    body: {
      content: {
        'text/csv': { schema: z.string().openapi({ example: 'email\nada@example.org\n' }) },
      },
      required: true,
    },
  },
  responses: {
    200: {
      description: 'The roll now holds these mailboxes',
      content: {
        'application/json': {
          schema: z.object({
            voters: z.number().int().openapi({ description: 'Mailboxes on the roll' }),
            entries: z.number().int().openapi({ description: 'Entries in the file' }),
          }),
        },
      },
    },
    400: errorResponse('`invalid_roll`: entries that are not addresses, or too many'),
    401: errorResponse('No valid token'),
    403: errorResponse('Not an admin'),
    404: errorResponse('No such poll'),
    409: errorResponse('`not_a_roll_poll`, or `invalid_transition`: the poll is no longer a draft'),
    413: errorResponse('Larger than 8 MiB'),
    415: errorResponse('Not `text/csv` or `text/plain`'),
  },
})

export interface PollRoutesDeps {
  db: Db
  /** Polls one admin may create per hour (all replicas together); undefined = no cap. */
  pollsPerAdminPerHour: number | undefined
  /** A voter's verified mailbox, to say whether they are on a poll's roll. */
  verifiedMailbox: VerifiedMailbox
  /** A group's size at close, for turnout (the local provider's accounts, or Cognito's). */
  groupSize?: GroupSize | undefined
  /** Told of each seal a close makes (seal metrics). */
  sealObserver?: SealObserver | undefined
}

const HOUR_MS = 60 * 60_000

export function pollRoutes({
  db,
  pollsPerAdminPerHour,
  verifiedMailbox,
  groupSize,
  sealObserver,
}: PollRoutesDeps) {
  async function visiblePoll(pollId: string, admin: boolean) {
    const poll = await polls.findPoll(db, pollId)
    if (!poll || (poll.status === 'draft' && !admin)) throw notFound('Poll')
    return poll
  }

  /** A group poll's member count now; unknown (undefined) rather than a failed close. */
  async function groupSizeAtClose(pollId: string, logger: Logger) {
    if (!groupSize) return undefined
    const group = await polls.eligibleGroupOf(db, pollId)
    if (!group) return undefined
    try {
      return await groupSize(group)
    } catch (error) {
      logger.warn({ err: error, pollId }, 'could not count the group for turnout')
      return undefined
    }
  }

  async function transition(pollId: string, to: 'open' | 'closed', logger: Logger) {
    const eligibleAtClose = to === 'closed' ? await groupSizeAtClose(pollId, logger) : undefined
    const outcome = await polls.transitionPoll(db, pollId, to, { eligibleAtClose, sealObserver })
    if (outcome.ok) return outcome.poll
    if (outcome.reason === 'not_found') throw notFound('Poll')
    if (outcome.reason === 'empty_roll') {
      throw new ApiError(409, 'empty_roll', 'Upload the voter roll before opening this poll')
    }
    throw new ApiError(
      409,
      'invalid_transition',
      `A ${outcome.from} poll cannot be ${to === 'open' ? 'opened' : 'closed'}`,
    )
  }

  return createRouter()
    .openapi(listRoute, async (c) => {
      const { status, limit, after } = c.req.valid('query')
      const admin = isAdmin(c.var.principal)
      if (status === 'draft' && !admin)
        throw new ApiError(403, 'forbidden', 'Only admins may list drafts')
      const statuses: PollStatus[] = status
        ? [status]
        : admin
          ? ['draft', 'open', 'closed']
          : ['open', 'closed']
      const page = await polls.listPolls(db, statuses, { limit, after })
      let next: string | null = null
      if (page.nextAfter) {
        const query = new URLSearchParams({ limit: String(limit), after: page.nextAfter })
        if (status) query.set('status', status)
        next = `/api/polls?${query.toString()}`
      }
      return c.json({ polls: page.polls, next }, 200)
    })
    .openapi(getRoute, async (c) => {
      const { pollId } = c.req.valid('param')
      const principal = c.var.principal
      const poll = await visiblePoll(pollId, isAdmin(principal))
      if (!principal) return c.json(poll, 200)
      let onRoll: boolean | undefined
      if (poll.eligibility.kind === 'roll') {
        // Unknown while the sign-in service is unreachable: the page then simply lets them try.
        const mailbox = await mailboxForRoll(verifiedMailbox, principal, c.var.accessToken).catch(
          () => null,
        )
        onRoll =
          mailbox === null ? undefined : !!mailbox && (await polls.isOnRoll(db, pollId, mailbox))
      }
      return c.json(
        {
          ...poll,
          hasVoted: await polls.hasVoted(db, pollId, principal.sub),
          eligible:
            poll.eligibility.kind === 'roll' && onRoll === undefined
              ? undefined
              : isEligible(poll.eligibility, { groups: principal.groups, onRoll }),
        },
        200,
      )
    })
    .openapi(createPollRoute, async (c) => {
      const input = c.req.valid('json')
      const principal = c.var.principal
      if (!principal) throw new Error('requireAdmin let an anonymous caller through')
      if (pollsPerAdminPerHour) {
        // Counted in the database, so the cap holds across replicas and restarts.
        const recent = await polls.pollsCreatedSince(
          db,
          principal.sub,
          new Date(Date.now() - HOUR_MS),
        )
        if (recent.count >= pollsPerAdminPerHour) {
          const freesAt = (recent.first?.getTime() ?? Date.now()) + HOUR_MS
          throw new ApiError(
            429,
            'too_many_polls',
            `At most ${String(pollsPerAdminPerHour)} new polls per admin per hour`,
            {
              headers: {
                'Retry-After': String(Math.max(1, Math.ceil((freesAt - Date.now()) / 1000))),
              },
            },
          )
        }
      }
      return c.json(await polls.createPoll(db, input, principal.sub), 201)
    })
    .openapi(rollRoute, async (c) => {
      const { pollId } = c.req.valid('param')
      const type = c.req.header('content-type') ?? ''
      if (!/^text\/(csv|plain)\s*(;|$)/i.test(type)) {
        throw new ApiError(415, 'unsupported_media_type', 'Send the roll as text/csv')
      }
      const file = readRollFile(await c.req.text())
      if (!file.ok) {
        throw new ApiError(400, 'invalid_roll', file.message, { details: file.details })
      }
      const outcome = await polls.replaceRoll(db, pollId, file.mailboxes)
      if (outcome.ok) return c.json({ voters: outcome.voters, entries: file.entries }, 200)
      if (outcome.reason === 'not_found') throw notFound('Poll')
      if (outcome.reason === 'not_a_roll_poll') {
        throw new ApiError(
          409,
          'not_a_roll_poll',
          'This poll has no voter roll: its eligibility is fixed at creation',
        )
      }
      throw new ApiError(
        409,
        'invalid_transition',
        `The roll of a ${outcome.status} poll cannot change`,
      )
    })
    .openapi(transitionRoute('open'), async (c) =>
      c.json(await transition(c.req.valid('param').pollId, 'open', c.var.logger), 200),
    )
    .openapi(transitionRoute('close'), async (c) =>
      c.json(await transition(c.req.valid('param').pollId, 'closed', c.var.logger), 200),
    )
}
