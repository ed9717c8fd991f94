import { createRoute, z } from '@hono/zod-openapi'
import type { Db } from '../../db/database.ts'
import { ApiError } from '../../http/errors.ts'
import { bearerAuth, createRouter, errorResponse } from '../../http/openapi.ts'
import type { Mailer } from '../../mail/mailer.ts'
import { requireAdmin } from '../middleware.ts'
import { createAccount, emailSchema, EmailTakenError, findAccountByEmail } from './accounts.ts'
import { issueCode } from './codes.ts'

const InvitationBody = z.strictObject({ email: emailSchema }).openapi('Invitation')

const inviteRoute = createRoute({
  method: 'post',
  path: '/',
  tags: ['identity'],
  summary: 'Invite someone to make an account (admins; local sign-in provider only)',
  description:
    'Mails a link, valid for 7 days, where the invitee chooses a password; that also confirms ' +
    'their address. With SIGN_UP=invite this is the only way to get an account. In AWS, ' +
    'Cognito does this (`admin-create-user`).',
  security: bearerAuth,
  middleware: [requireAdmin] as const,
  request: {
    body: { content: { 'application/json': { schema: InvitationBody } }, required: true },
  },
  responses: {
    201: {
      description: 'The invitation is on its way',
      content: { 'application/json': { schema: z.object({ email: z.string() }) } },
    },
    400: errorResponse('Not an email address'),
    401: errorResponse('No valid token'),
    403: errorResponse('Not an admin'),
    409: errorResponse('`account_exists`: that address already has a working account'),
    429: errorResponse('`too_many_invitations`: five an hour per address'),
  },
})

/** `POST /api/invitations`: an admin invites an address; the invitee sets a password from the mail. */
export function invitationRoutes({
  db,
  mailer,
  issuer,
}: {
  db: Db
  mailer: Mailer
  /** `<PUBLIC_URL>/auth`: the invitation's link goes to the provider's page there. */
  issuer: string
}) {
  return createRouter().openapi(inviteRoute, async (c) => {
    const { email } = c.req.valid('json')
    let account = await findAccountByEmail(db, email)
    if (account?.emailVerified) {
      throw new ApiError(409, 'account_exists', `${email} already has an account`)
    }
    if (!account) {
      try {
        account = await createAccount(db, email, null)
      } catch (error) {
        if (!(error instanceof EmailTakenError)) throw error
        account = await findAccountByEmail(db, email)
      }
    }
    if (!account) throw new Error('the invited account vanished')
    const code = await issueCode(db, account.id, 'invite')
    if (!code) {
      throw new ApiError(429, 'too_many_invitations', `${email} was invited too often this hour`, {
        headers: { 'Retry-After': '3600' },
      })
    }
    const link = `${issuer}/invite?${new URLSearchParams({ email, code }).toString()}`
    await mailer.send({
      to: email,
      subject: 'You are invited to votelab',
      text: `You are invited to vote on votelab.\n\nChoose your password here (the link works once, for 7 days):\n${link}\n\nIf you did not expect this, ignore the mail.\n`,
    })
    return c.json({ email }, 201)
  })
}
