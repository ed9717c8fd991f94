import { OpenAPIHono, createRoute, z } from '@hono/zod-openapi'
import { createMiddleware } from 'hono/factory'
import { requestId } from 'hono/request-id'
import type { Logger } from 'pino'
import type { HttpBindings } from '@hono/node-server'
import type { Meter, Tracer } from '@opentelemetry/api'
import type { Hono } from 'hono'
import { authenticate, requireVoter } from './auth/middleware.ts'
import type { invitationRoutes } from './auth/provider/invitations.ts'
import type { AccessTokenVerifier } from './auth/verify.ts'
import type { GroupSize } from './auth/group-size.ts'
import type { VerifiedMailbox } from './auth/verified-email.ts'
import type { Config } from './config.ts'
import type { DatabaseHandle } from './db/client.ts'
import type { AppEnv } from './http/env.ts'
import { apiDocsRoutes } from './http/api-docs.ts'
import { limitBody } from './http/body-limit.ts'
import { timeReads } from './http/read-timeout.ts'
import { limitWrites } from './http/write-limits.ts'
import { ErrorSchema, errorBody, handleError } from './http/errors.ts'
import { healthRoutes } from './http/health.ts'
import { requestMetrics } from './http/request-metrics.ts'
import { responseStatus } from './http/response-status.ts'
import { requestTracing } from './http/request-tracing.ts'
import type { SealObserver } from './ballots/seal.ts'
import { opsRoutes } from './observability/ops-routes.ts'
import type { ResourceMetrics } from '@opentelemetry/sdk-metrics'
import { webRoutes, type WebClientConfig } from './http/web.ts'
import { createRouter } from './http/openapi.ts'
import { ballotRoutes } from './ballots/routes.ts'
import { pollRoutes } from './polls/routes.ts'
import { MAX_ROLL_BYTES } from './polls/roll-file.ts'
import type { ResultsHub } from './results/hub.ts'
import { resultsRoutes } from './results/routes.ts'
import type { BallotBox } from './votes/ballot-box.ts'
import { voteRoutes } from './votes/routes.ts'

export const MAX_BODY_BYTES = 16 * 1024
/** The one route that takes a file: a voter roll (polls/roll-file.ts). */
const ROLL_UPLOAD = /^\/api\/polls\/[^/]+\/roll$/

export interface AppDeps {
  database: DatabaseHandle
  logger: Logger
  verifyAccessToken: AccessTokenVerifier
  /** A voter's verified mailbox, for voter rolls (auth/verified-email.ts). */
  verifiedMailbox: VerifiedMailbox
  /** A group's member count, for a group poll's turnout at close (auth/group-size.ts). */
  groupSize?: GroupSize | undefined
  ballotBox: BallotBox
  hub: ResultsHub
  /** The local sign-in provider's routes, when this process is its own issuer (no AUTH_ISSUER). */
  signIn: Hono<AppEnv & { Bindings: HttpBindings }> | undefined
  /** `POST /api/invitations`, with the local provider (Cognito invites users itself). */
  invitations?: ReturnType<typeof invitationRoutes> | undefined
  heartbeatMs: number
  limits: Config['limits']
  /** Serve the built web client and its config (local and compose setups). */
  web: { distDir: string; clientConfig: WebClientConfig } | undefined
  isShuttingDown: () => boolean
  /** HTTP rate, errors and duration per route go here (observability/metrics.ts). */
  meter?: Meter | undefined
  /** A span per request, when tracing is on (observability/tracing.ts). */
  tracer?: Tracer | undefined
  /** Told of each seal made (observability/seal-metrics.ts). */
  sealObserver?: SealObserver | undefined
  /** Whether a caller's `traceparent` is continued (false in AWS: nobody outside picks samples). */
  continueCallerTraces?: boolean
  /** This process's metrics, read in-process for the operations page. */
  collectMetrics: () => Promise<ResourceMetrics>
}

const meRoute = createRoute({
  method: 'get',
  path: '/me',
  tags: ['identity'],
  summary: 'Who the token says you are',
  security: [{ bearerAuth: [] }],
  middleware: [requireVoter] as const,
  responses: {
    200: {
      description: 'The caller',
      content: {
        'application/json': {
          schema: z.object({ sub: z.string(), username: z.string(), groups: z.array(z.string()) }),
        },
      },
    },
    401: {
      description: 'No valid token',
      content: { 'application/json': { schema: ErrorSchema } },
    },
  },
})

/** One JSON line per request. (A pino child per request cost ~40 µs of CPU: the id goes in the line.) */
function requestLog(logger: Logger) {
  const enabled = logger.isLevelEnabled('info')
  return createMiddleware<AppEnv>(async (c, next) => {
    c.set('logger', logger)
    if (!enabled) return next()
    const started = performance.now()
    await next()
    const status = responseStatus(c)
    logger[status >= 500 ? 'error' : 'info'](
      {
        requestId: c.var.requestId,
        method: c.req.method,
        path: c.req.path,
        status,
        ms: Math.round(performance.now() - started),
      },
      'request',
    )
  })
}

const perMinute = (max: number | undefined) => (max ? { max, windowMs: 60_000 } : undefined)

export function createApp(deps: AppDeps) {
  const { database, logger } = deps

  const api = createRouter()
  api.use(authenticate(deps.verifyAccessToken))
  api.use(
    limitWrites({
      perVoter: perMinute(deps.limits.voterWritesPerMinute),
      perAddress: perMinute(deps.limits.addressWritesPerMinute),
      trustedProxyHops: deps.limits.trustProxyHops,
    }),
  )
  api.use(timeReads(deps.limits.requestTimeoutMs))
  const routes = api
    .openapi(meRoute, (c) => {
      const { sub, username, groups } = c.var.principal ?? { sub: '', username: '', groups: [] }
      return c.json({ sub, username, groups }, 200)
    })
    .route(
      '/polls',
      pollRoutes({
        db: database.db,
        pollsPerAdminPerHour: deps.limits.pollsPerAdminPerHour,
        verifiedMailbox: deps.verifiedMailbox,
        groupSize: deps.groupSize,
        sealObserver: deps.sealObserver,
      }),
    )
    .route(
      '/polls',
      voteRoutes({
        db: database.db,
        ballotBox: deps.ballotBox,
        verifiedMailbox: deps.verifiedMailbox,
      }),
    )
    .route(
      '/polls',
      resultsRoutes({
        db: database.db,
        hub: deps.hub,
        heartbeatMs: deps.heartbeatMs,
        streams: deps.limits.streams,
        trustProxyHops: deps.limits.trustProxyHops,
        sealObserver: deps.sealObserver,
      }),
    )
    .route('/polls', ballotRoutes({ db: database.db, sealObserver: deps.sealObserver }))
    .route('/ops', opsRoutes(deps.collectMetrics))
  if (deps.invitations) api.route('/invitations', deps.invitations)

  api.openAPIRegistry.registerComponent('securitySchemes', 'bearerAuth', {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
    description:
      'An access token from Amazon Cognito, or locally from `pnpm run token --sub alice`.',
  })
  api.doc31('/openapi.json', {
    openapi: '3.1.0',
    info: {
      title: 'votelab API',
      version: '1.0.0',
      description:
        'Polls, one vote per voter, receipts, live results, and a public bulletin board of sealed ballots.',
    },
    servers: [{ url: '/api' }],
  })
  api.route('/docs', apiDocsRoutes())
  api.notFound((c) =>
    c.json(errorBody('not_found', `No route for ${c.req.method} ${c.req.path}`), 404),
  )

  const app = new OpenAPIHono<AppEnv>()
    .use(requestId())
    // Outside the log: the request's line is written inside its span, and carries its ids.
    .use(requestTracing(deps.tracer, { continueCallerTraces: deps.continueCallerTraces ?? true }))
    .use(requestLog(logger))
    .use(requestMetrics(deps.meter))
    // Every route, the sign-in provider's included: no request may make the process hold more.
    .use(
      limitBody({
        maxSize: MAX_BODY_BYTES,
        lengthRequired: (path) => path.startsWith('/auth/'),
        maxSizeFor: (method, path) =>
          method === 'PUT' && ROLL_UPLOAD.test(path) ? MAX_ROLL_BYTES : undefined,
      }),
    )
    .route('/', healthRoutes(database, deps.isShuttingDown))
    .route('/api', routes)

  if (deps.signIn) app.route('/auth', deps.signIn)
  if (deps.web) app.route('/', webRoutes(deps.web.distDir, deps.web.clientConfig))

  app.notFound((c) =>
    c.json(errorBody('not_found', `No route for ${c.req.method} ${c.req.path}`), 404),
  )
  app.onError(handleError)
  return app
}

export type App = ReturnType<typeof createApp>
