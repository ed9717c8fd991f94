import { createRoute } from '@hono/zod-openapi'
import { requireVoter } from '../auth/middleware.ts'
import type { Db } from '../db/database.ts'
import { ApiError, notFound } from '../http/errors.ts'
import { bearerAuth, createRouter, errorResponse } from '../http/openapi.ts'
import { PollIdParams } from '../http/params.ts'
import type { VerifiedMailbox } from '../auth/verified-email.ts'
import { mailboxForRoll, notEligible } from '../auth/eligibility.ts'
import { eligibilityKinds } from '../db/eligibility-kinds.ts'
import type { BallotBox } from './ballot-box.ts'
import { findReplay } from './idempotency.ts'
import { CastVoteBody, CastVoteHeaders, ReceiptSchema } from './schemas.ts'

const voteRoute = createRoute({
  method: 'post',
  path: '/{pollId}/votes',
  tags: ['votes'],
  summary: 'Cast your vote',
  description: 'One vote per voter per poll. The receipt tracker lets you find your ballot later.',
  security: bearerAuth,
  middleware: [requireVoter] as const,
  request: {
    params: PollIdParams,
    headers: CastVoteHeaders,
    body: { content: { 'application/json': { schema: CastVoteBody } }, required: true },
  },
  responses: {
    201: {
      description: 'Counted (or, with the same Idempotency-Key, counted before: the same receipt)',
      content: { 'application/json': { schema: ReceiptSchema } },
    },
    400: errorResponse('Invalid body, Idempotency-Key, or an option of another poll'),
    401: errorResponse('No valid token'),
    403: errorResponse(
      '`not_eligible`: the poll takes another group’s members, or the mailboxes on its voter ' +
        'list, and the caller’s verified email is not one of them',
    ),
    404: errorResponse('No such poll'),
    409: errorResponse('`already_voted` or `poll_not_open`'),
    422: errorResponse('`idempotency_key_reused`: that key was sent with a different vote'),
    429: errorResponse('Too many writes from this voter or address; see Retry-After'),
    503: errorResponse(
      'Unavailable, overloaded, or (`identity_unavailable`) the sign-in service could not ' +
        'confirm the voter’s email for a voter list; nothing was counted, retry (see Retry-After)',
    ),
  },
})

export interface VoteRoutesDeps {
  db: Db
  ballotBox: BallotBox
  verifiedMailbox: VerifiedMailbox
}

/** `POST /polls/{pollId}/votes`: one vote per voter, a receipt, safe to retry. */
export function voteRoutes({ db, ballotBox, verifiedMailbox }: VoteRoutesDeps) {
  const eligibilityOf = eligibilityKinds(db)
  return createRouter().openapi(voteRoute, async (c) => {
    const { pollId } = c.req.valid('param')
    const { optionId } = c.req.valid('json')
    const key = c.req.valid('header')['idempotency-key']
    const principal = c.var.principal
    if (!principal) throw new Error('requireVoter let an anonymous caller through')
    // Only a roll needs to know who the voter is beyond the token (one issuer call, then cached).
    const kind = await eligibilityOf(pollId)
    const voterMailbox =
      kind === 'roll'
        ? await mailboxForRoll(verifiedMailbox, principal, c.var.accessToken)
        : undefined
    if (kind === 'roll' && !voterMailbox) throw notEligible(kind)
    const request = {
      pollId,
      optionId,
      voterSub: principal.sub,
      voterGroups: principal.groups,
      voterMailbox,
    }

    // A retry of a vote that was counted: the same receipt, whichever replica answers.
    const replay = async () => {
      if (!key) return undefined
      const found = await findReplay(db, { ...request, key })
      if (found.kind === 'different_request') {
        throw new ApiError(
          422,
          'idempotency_key_reused',
          'This Idempotency-Key was already used for a different vote; send a new key',
        )
      }
      if (found.kind === 'none') return undefined
      c.header('Idempotent-Replayed', 'true')
      return c.json({ receipt: found.receipt }, 201)
    }

    // A first attempt (the usual case) costs no lookup: only a vote the database refuses as
    // "already voted" may be a retry, or the loser of two copies racing on two replicas.
    const outcome = await ballotBox.cast({ ...request, idempotencyKey: key })
    if (outcome.ok) return c.json({ receipt: outcome.receipt }, 201)
    if (outcome.reason === 'already_voted') {
      const earlier = await replay()
      if (earlier) return earlier
    }
    switch (outcome.reason) {
      case 'poll_not_found':
        throw notFound('Poll')
      case 'option_not_found':
        throw new ApiError(400, 'unknown_option', 'That option does not belong to this poll', {
          details: [{ path: 'optionId', message: 'not an option of this poll' }],
        })
      case 'poll_not_open':
        throw new ApiError(409, 'poll_not_open', 'This poll is not open for voting')
      case 'not_eligible':
        throw notEligible(kind, voterMailbox)
      case 'already_voted':
        throw new ApiError(409, 'already_voted', 'You have already voted in this poll')
      case 'overloaded':
        throw new ApiError(
          503,
          'overloaded',
          'Too many votes at once; nothing was counted, retry',
          {
            headers: { 'Retry-After': '1' },
          },
        )
    }
  })
}
