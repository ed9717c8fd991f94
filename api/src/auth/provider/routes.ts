import type { SignInOutcome } from '../../observability/catalogue.ts'
import { createHmac, timingSafeEqual } from 'node:crypto'
import { setTimeout } from 'node:timers/promises'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { HttpBindings } from '@hono/node-server'
import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response'
import { Hono, type Context } from 'hono'
import { csrf } from 'hono/csrf'
import type Provider from 'oidc-provider'
import type { InteractionResults } from 'oidc-provider'
import type { SignUpPolicy } from '../../config.ts'
import type { Db } from '../../db/database.ts'
import type { AppEnv } from '../../http/env.ts'
import { InvalidTokenError, type AccessTokenVerifier } from '../verify.ts'
import { readDevelopmentMailbox, type Mailer } from '../../mail/mailer.ts'
import {
  checkCredentials,
  createAccount,
  emailSchema,
  EmailTakenError,
  findAccount,
  findAccountByEmail,
  findAccountByMailbox,
  hashPassword,
  markEmailVerified,
  passwordSchema,
  setPasswordHash,
} from './accounts.ts'
import { issueCode, redeemCode } from './codes.ts'
import { SCOPES } from './index.ts'
import {
  confirmPage,
  errorPage,
  FAVICON_SVG,
  mailboxPage,
  messagePage,
  securityHeaders,
  setPasswordPage,
  signInPage,
  signUpPage,
} from './pages.ts'
import { clientAddress } from '../../http/client-address.ts'
import { createNoopMeter, type Meter } from '@opentelemetry/api'
import { DEFAULT_SIGN_IN_LIMITS, SignInThrottle, type SignInLimits } from './throttle.ts'

type NodeEnv = AppEnv & { Bindings: HttpBindings }

export interface SignInRoutesOptions {
  provider: Provider
  db: Db
  apiResource: string
  /** Signs the forms' CSRF tokens. */
  secret: string
  /** The API's own verifier: userInfo accepts the same access tokens the API does, as Cognito's does. */
  verifyAccessToken: AccessTokenVerifier
  /** Sign-in throttling (throttle.ts); tests tighten it. */
  limits?: Partial<SignInLimits>
  /** Proxies of ours in front of the API: who the client is (http/client-address.ts). */
  trustProxyHops?: number
  /** Where the provider may send browsers back to: allowed as form targets by the pages' CSP. */
  redirectUris: readonly string[]
  postLogoutRedirectUris: readonly string[]
  /** Who may create an account (SIGN_UP); open when absent. */
  signUp?: SignUpPolicy
  /** Codes and invitations go out through this (SMTP, or the development mailbox). */
  mailer: Mailer
  /** Serve the development mailbox at /auth/dev/mailbox (never in production). */
  serveMailbox?: boolean
  /** The page's address, for links in mail. */
  publicUrl: string
  /** Sign-in attempts by outcome go here (observability/metrics.ts). */
  meter?: Meter | undefined
}

const MOUNT = '/auth'
/** "in 1 minute", "in 15 minutes". */
const inMinutes = new Intl.RelativeTimeFormat('en', { numeric: 'always' })
/** The rules a password broke, as sentences: "Add an upper-case letter. Add a digit." */
const sentences = (issues: readonly { message: string }[]) =>
  issues.map((issue) => `${issue.message}.`).join(' ')
const FORM_FIELD_MAX = 1_000

/** The provider (a Koa app) and the sign-in pages, under `/auth` in the API process. */
export function signInRoutes(options: SignInRoutesOptions): Hono<NodeEnv> {
  const { provider, db } = options
  const throttle = new SignInThrottle({ ...DEFAULT_SIGN_IN_LIMITS, ...options.limits })
  const attempts = (options.meter ?? createNoopMeter()).createCounter('votelab.sign_in.attempts', {
    description: 'Password sign-ins by outcome: success, failure, throttled, unconfirmed',
    unit: '{attempt}',
  })
  const signInOutcome = (outcome: SignInOutcome) => {
    attempts.add(1, { 'votelab.sign_in.outcome': outcome })
  }
  const handleWithProvider = provider.callback()

  const csrfToken = (uid: string) =>
    createHmac('sha256', options.secret).update(`csrf:${uid}`).digest('base64url')
  const csrfValid = (uid: string, token: unknown) => {
    if (typeof token !== 'string') return false
    const expected = Buffer.from(csrfToken(uid))
    const given = Buffer.from(token)
    return given.length === expected.length && timingSafeEqual(given, expected)
  }

  function nodeBindings(c: Context<NodeEnv>): { req: IncomingMessage; res: ServerResponse } {
    const { incoming, outgoing } = c.env
    return { req: incoming, res: outgoing }
  }

  type Interaction = Awaited<ReturnType<Provider['interactionDetails']>>

  /** The interaction behind `uid`, or an error page when it expired or belongs to another browser. */
  async function interactionFor(c: Context<NodeEnv>, uid: string) {
    const { req, res } = nodeBindings(c)
    try {
      const details = await provider.interactionDetails(req, res)
      return details.uid === uid ? details : undefined
    } catch {
      return undefined
    }
  }

  const signInView = (uid: string) => ({
    action: `${MOUNT}/interaction/${uid}/login`,
    signUpHref: `${MOUNT}/interaction/${uid}/signup`,
    csrf: csrfToken(uid),
  })
  const signUp: SignUpPolicy = options.signUp ?? { policy: 'open', plusAddresses: 'same' }
  const domainsRule =
    signUp.policy === 'domains'
      ? `Accounts are for addresses at ${signUp.domains.join(', ')} only.`
      : undefined
  /** Whether the sign-up policy lets this (normalised) address have an account. */
  const mayCreateAccount = (email: string) =>
    signUp.policy === 'open' ||
    (signUp.policy === 'domains' &&
      signUp.domains.includes(email.slice(email.lastIndexOf('@') + 1)))
  const { mailer } = options
  const confirmView = (uid: string, email: string) => ({
    action: `${MOUNT}/interaction/${uid}/confirm`,
    resendAction: `${MOUNT}/interaction/${uid}/resend`,
    csrf: csrfToken(uid),
    email,
    mailboxUrl: options.serveMailbox ? mailer.mailboxUrl : undefined,
  })

  /** Mails a fresh confirmation code, unless the account had its hourly share (then silence). */
  async function sendConfirmationCode(account: { id: string; email: string }) {
    const code = await issueCode(db, account.id, 'confirm')
    if (!code) return
    await mailer.send({
      to: account.email,
      subject: `Your votelab code: ${code}`,
      text: `Your votelab confirmation code is ${code}\n\nIt works once, for 15 minutes. If you did not ask for it, ignore this mail: nothing happens without the code.\n`,
    })
  }
  const signUpView = (uid: string) => ({
    action: `${MOUNT}/interaction/${uid}/signup`,
    signInHref: `${MOUNT}/interaction/${uid}`,
    csrf: csrfToken(uid),
    emailHint: domainsRule,
  })
  const formExpired = (c: Context<NodeEnv>) =>
    c.html(errorPage('Form expired', 'Reload the page and try again.'), 403)

  const unreadableForm = (c: Context<NodeEnv>) =>
    c.html(errorPage('Unreadable form', 'Send the form from the sign-in page.'), 415)

  const expired = (c: Context<NodeEnv>) =>
    c.html(errorPage('This sign-in has expired', 'Go back to votelab and sign in again.'), 400)

  /** Signs the account in and grants the first-party client its scopes: no consent screen, as with Cognito. */
  async function finish(c: Context<NodeEnv>, accountId: string, details: Interaction) {
    const clientId = String(details.params.client_id)
    const grant = new provider.Grant({ accountId, clientId })
    grant.addOIDCScope(SCOPES)
    grant.addResourceScope(options.apiResource, SCOPES)
    const result: InteractionResults = {
      login: { accountId },
      consent: { grantId: await grant.save() },
    }
    const { req, res } = nodeBindings(c)
    const returnTo = await provider.interactionResult(req, res, result, {
      mergeWithLastSubmission: false,
    })
    return c.redirect(returnTo, 303)
  }

  const addressOf = (c: Context<NodeEnv>) => clientAddress(c, options.trustProxyHops ?? 0)
  const tooMany = (c: Context<NodeEnv>, seconds: number, page: string) => {
    c.header('Retry-After', String(seconds))
    return c.html(page, 429)
  }

  /** The posted form, or undefined for anything our pages do not send (multipart, JSON, garbage). */
  async function readForm(c: Context<NodeEnv>): Promise<Record<string, string> | undefined> {
    const type = c.req.header('content-type') ?? ''
    if (!/^application\/x-www-form-urlencoded\s*(;|$)/i.test(type)) return undefined
    const body = await c.req.parseBody().catch(() => undefined)
    if (!body) return undefined
    const form: Record<string, string> = {}
    for (const [key, value] of Object.entries(body)) {
      if (typeof value === 'string') form[key] = value.slice(0, FORM_FIELD_MAX)
    }
    return form
  }

  /**
   * What a sign-in or sign-up form posts to: its interaction and fields, or the page saying why
   * there are none (the sign-in expired, the body is no form of ours, the CSRF token is stale).
   */
  async function postedForm(
    c: Context<NodeEnv>,
  ): Promise<
    { uid: string; details: Interaction; form: Record<string, string> } | { refused: Response }
  > {
    const uid = c.req.param('uid') ?? ''
    const details = await interactionFor(c, uid)
    if (!details) return { refused: expired(c) }
    const form = await readForm(c)
    if (!form) return { refused: unreadableForm(c) }
    if (!csrfValid(uid, form.csrf)) return { refused: formExpired(c) }
    return { uid, details, form }
  }

  const routes = new Hono<NodeEnv>()
  // The provider needs Node's request and response; `app.request()` in tests has neither.
  routes.use(async (c, next) => {
    if (!(c.env as Partial<HttpBindings> | undefined)?.incoming) {
      return c.json(
        { error: { code: 'not_available', message: 'Sign-in needs the Node HTTP server' } },
        501,
      )
    }
    return next()
  })
  const headers = securityHeaders([...options.redirectUris, ...options.postLogoutRedirectUris])
  // On the Node response, so the provider's own answers (written past Hono) carry them too.
  routes.use(async (c, next) => {
    const { res } = nodeBindings(c)
    for (const [name, value] of Object.entries(headers)) res.setHeader(name, value)
    await next()
  })
  routes.get('/favicon.svg', (c) => {
    c.header('Cache-Control', 'public, max-age=86400')
    return c.body(FAVICON_SVG, 200, { 'Content-Type': 'image/svg+xml' })
  })
  // Forms may only be posted from our own pages (Origin / Sec-Fetch-Site), on top of the token.
  routes.use('/interaction/*', csrf())

  routes.get('/interaction/:uid', async (c) => {
    const uid = c.req.param('uid')
    const details = await interactionFor(c, uid)
    if (!details) return expired(c)
    // Already signed in (a session exists): only the grant is missing.
    if (details.prompt.name !== 'login' && details.session?.accountId) {
      return finish(c, details.session.accountId, details)
    }
    return c.html(signInPage(signInView(uid)))
  })

  routes.post('/interaction/:uid/login', async (c) => {
    const posted = await postedForm(c)
    if ('refused' in posted) return posted.refused
    const { uid, details, form } = posted
    const view = signInView(uid)

    const email = emailSchema.safeParse(form.email ?? '')
    const typedEmail = (form.email ?? '').trim()
    const address = addressOf(c)
    const verdict = throttle.signIn(email.success ? email.data : undefined, address)
    if (verdict.kind === 'refuse') {
      signInOutcome('throttled')
      const wait = verdict.retryAfterSeconds
      return tooMany(
        c,
        wait,
        signInPage({
          ...view,
          email: typedEmail,
          error: `Too many attempts. Try again ${inMinutes.format(Math.ceil(wait / 60), 'minute')}.`,
        }),
      )
    }
    // An account under attack answers more slowly, for everyone: never a lock-out.
    if (verdict.delayMs > 0) await setTimeout(verdict.delayMs)
    const account =
      email.success && form.password
        ? await checkCredentials(db, email.data, form.password)
        : undefined
    if (!account) {
      signInOutcome('failure')
      if (email.success) throttle.failed(email.data, address)
      // The same words whether the email is unknown or the password wrong.
      return c.html(
        signInPage({ ...view, email: typedEmail, error: 'Email or password is incorrect.' }),
        401,
      )
    }
    throttle.succeeded(account.email, address)
    // Cognito's UserNotConfirmedException, said only after the right password.
    if (!account.emailVerified) {
      signInOutcome('unconfirmed')
      await sendConfirmationCode(account)
      return c.html(
        confirmPage({
          ...confirmView(uid, account.email),
          message: `Confirm your email address first: a new code is on its way to ${account.email}.`,
        }),
        403,
      )
    }
    signInOutcome('success')
    return finish(c, account.id, details)
  })

  const inviteOnly = (c: Context<NodeEnv>) =>
    c.html(
      messagePage(
        'Accounts are by invitation',
        'Only an admin can create accounts here. Ask one to invite you: the invitation mail lets you choose a password.',
      ),
      403,
    )

  routes.get('/interaction/:uid/signup', async (c) => {
    const uid = c.req.param('uid')
    if (!(await interactionFor(c, uid))) return expired(c)
    if (signUp.policy === 'invite') return inviteOnly(c)
    return c.html(signUpPage(signUpView(uid)))
  })

  routes.post('/interaction/:uid/signup', async (c) => {
    const posted = await postedForm(c)
    if ('refused' in posted) return posted.refused
    const { uid, form } = posted
    const view = signUpView(uid)
    const verdict = throttle.signUp(addressOf(c))
    if (verdict.kind === 'refuse')
      return tooMany(
        c,
        verdict.retryAfterSeconds,
        signUpPage({ ...view, errors: { form: 'Too many attempts. Try again later.' } }),
      )

    const email = emailSchema.safeParse(form.email ?? '')
    const password = passwordSchema.safeParse(form.password ?? '')
    if (!email.success || !password.success) {
      const errors = {
        email: email.success ? undefined : email.error.issues[0]?.message,
        password: password.success ? undefined : sentences(password.error.issues),
      }
      return c.html(signUpPage({ ...view, email: form.email, errors }), 400)
    }
    if (signUp.policy === 'invite') return inviteOnly(c)
    if (!mayCreateAccount(email.data)) {
      return c.html(signUpPage({ ...view, email: form.email, errors: { email: domainsRule } }), 403)
    }
    // The same page, status and work (one argon2 hash, one mail) whether or not the address
    // has an account: sign-up tells no one which addresses are taken (Cognito's
    // preventUserExistenceErrors).
    const passwordHash = await hashPassword(password.data)
    const existing =
      signUp.plusAddresses === 'same'
        ? await findAccountByMailbox(db, email.data)
        : await findAccountByEmail(db, email.data)
    if (!existing) {
      try {
        const account = await createAccount(db, email.data, null)
        await setPasswordHash(db, account.id, passwordHash)
        await sendConfirmationCode(account)
      } catch (error) {
        // Two sign-ups for one new address at once: the other made it; this one says the same.
        if (!(error instanceof EmailTakenError)) throw error
      }
    } else if (!existing.emailVerified && existing.email === email.data) {
      // Nobody proved this address yet: whoever can read its mail takes the account over.
      await setPasswordHash(db, existing.id, passwordHash)
      await sendConfirmationCode(existing)
    } else {
      await mailer.send({
        to: existing.email,
        subject: 'Someone tried to create a votelab account with your address',
        text: `Someone (perhaps you) tried to create a votelab account for ${email.data}, but ${existing.email} already has one${existing.email === email.data ? '' : ' (the same mailbox)'}.\n\nIf it was you, sign in instead; if you forgot the password, ask an admin. If it was not you, nothing has changed and you need do nothing.\n`,
      })
    }
    return c.html(confirmPage(confirmView(uid, email.data)), 200)
  })

  routes.post('/interaction/:uid/confirm', async (c) => {
    const posted = await postedForm(c)
    if ('refused' in posted) return posted.refused
    const { uid, details, form } = posted
    const email = emailSchema.safeParse(form.email ?? '')
    const typed = email.success ? email.data : ''
    const account = email.success ? await findAccountByEmail(db, email.data) : undefined
    const code = (form.code ?? '').trim()
    const confirmed =
      account && /^\d{6}$/.test(code) && (await redeemCode(db, account.id, 'confirm', code))
    if (!account || !confirmed) {
      return c.html(
        confirmPage({
          ...confirmView(uid, typed),
          error: 'That code is wrong or has expired. Use the newest mail, or send a new code.',
        }),
        400,
      )
    }
    await markEmailVerified(db, account.id)
    return finish(c, account.id, details)
  })

  routes.post('/interaction/:uid/resend', async (c) => {
    const posted = await postedForm(c)
    if ('refused' in posted) return posted.refused
    const { uid, form } = posted
    const verdict = throttle.signUp(addressOf(c))
    const email = emailSchema.safeParse(form.email ?? '')
    if (verdict.kind === 'go' && email.success) {
      const account = await findAccountByEmail(db, email.data)
      if (account && !account.emailVerified) await sendConfirmationCode(account)
    }
    const typed = email.success ? email.data : ''
    return c.html(
      confirmPage({
        ...confirmView(uid, typed),
        message: `If ${typed} is waiting for a code, a new one is on its way.`,
      }),
      200,
    )
  })

  // An invitation's link: the invitee chooses a password, which also proves the address.
  const inviteCsrf = (email: string, code: string) => csrfToken(`invite:${email}:${code}`)
  const invitePage = (email: string, code: string, error?: string) =>
    setPasswordPage({
      action: `${MOUNT}/invite`,
      csrf: inviteCsrf(email, code),
      email,
      code,
      error,
    })
  routes.use('/invite', csrf())
  routes.get('/invite', (c) => {
    const email = emailSchema.safeParse(c.req.query('email') ?? '')
    const code = c.req.query('code') ?? ''
    const invalid = () =>
      c.html(
        messagePage(
          'This invitation does not work',
          'It was used already, has expired, or the link is incomplete. Ask the admin who invited you for a new one.',
        ),
        400,
      )
    if (!email.success || !/^[A-Za-z0-9_-]{32}$/.test(code)) return invalid()
    return c.html(invitePage(email.data, code))
  })
  routes.post('/invite', async (c) => {
    const form = await readForm(c)
    if (!form) return unreadableForm(c)
    const email = emailSchema.safeParse(form.email ?? '')
    const code = form.code ?? ''
    if (!email.success || !csrfValid(`invite:${email.data}:${code}`, form.csrf)) {
      return formExpired(c)
    }
    const password = passwordSchema.safeParse(form.password ?? '')
    if (!password.success) {
      const problems = sentences(password.error.issues)
      return c.html(invitePage(email.data, code, problems), 400)
    }
    const account = await findAccountByEmail(db, email.data)
    if (!account || !(await redeemCode(db, account.id, 'invite', code))) {
      return c.html(
        messagePage(
          'This invitation does not work',
          'It was used already or has expired. Ask the admin who invited you for a new one.',
        ),
        400,
      )
    }
    await setPasswordHash(db, account.id, await hashPassword(password.data))
    await markEmailVerified(db, account.id)
    return c.html(
      messagePage('Your account is ready', `Sign in to votelab as ${account.email}.`, {
        href: options.publicUrl,
        text: 'Go to votelab',
      }),
    )
  })

  if (options.serveMailbox) {
    routes.get('/dev/mailbox', async (c) => {
      const to = emailSchema.safeParse(c.req.query('to') ?? '')
      const mails = await readDevelopmentMailbox(db, { to: to.success ? to.data : undefined })
      return c.html(mailboxPage(mails))
    })
  }

  // Cognito's userInfo accepts its access tokens; oidc-provider's would refuse tokens issued for
  // the API (a resource server), so this one endpoint is served here, at the advertised path.
  routes.on(['GET', 'POST'], '/oauth2/userInfo', async (c) => {
    const token = /^Bearer (\S+)$/i.exec(c.req.header('authorization') ?? '')?.[1]
    const unauthorized = () => {
      c.header('WWW-Authenticate', 'Bearer error="invalid_token"')
      return c.json({ error: 'invalid_token', error_description: 'send a valid access token' }, 401)
    }
    if (!token) return unauthorized()
    try {
      const principal = await options.verifyAccessToken(token)
      const account = await findAccount(db, principal.sub)
      if (!account) return unauthorized()
      c.header('Cache-Control', 'no-store')
      return c.json({
        sub: account.id,
        username: account.email,
        email: account.email,
        email_verified: account.emailVerified,
        'cognito:groups': account.groups,
      })
    } catch (error) {
      if (error instanceof InvalidTokenError) return unauthorized()
      throw error
    }
  })

  // The provider builds its URLs (discovery, redirects) from the forwarded host and protocol
  // (index.ts): they are the issuer's (PUBLIC_URL), never what the client sent as Host.
  const issuer = new URL(provider.issuer)

  // Everything else under /auth is the provider's: discovery, keys, authorize, token, logout…
  routes.all('*', async (c) => {
    const { req, res } = nodeBindings(c)
    // oidc-provider is mounted below /auth: it must see its own paths, and the original URL.
    Object.assign(req, { originalUrl: req.url })
    req.url = (req.url ?? '/').slice(MOUNT.length) || '/'
    req.headers['x-forwarded-host'] = issuer.host
    req.headers['x-forwarded-proto'] = issuer.protocol.slice(0, -1)
    // Awaited, so the request log sees the status the provider answered with.
    await handleWithProvider(req, res)
    return RESPONSE_ALREADY_SENT
  })
  return routes
}
