import type { ResourceMetrics } from '@opentelemetry/sdk-metrics'
import { createRemoteJWKSet } from 'jose'
import type { Logger } from 'pino'
import { createApp, type App } from './app.ts'
import { loadLocalIssuer, loadOrCreateSecret, type LocalIssuer } from './auth/local-issuer.ts'
import { createSignInProvider, WEB_CLIENT_ID } from './auth/provider/index.ts'
import { signInRoutes, type SignInRoutesOptions } from './auth/provider/routes.ts'
import { createAccessTokenVerifier } from './auth/verify.ts'
import { cognitoGroupSize, localGroupSize } from './auth/group-size.ts'
import { userInfoEndpoint, verifiedMailboxes } from './auth/verified-email.ts'
import DataLoader from 'dataloader'
import { findAccounts } from './auth/provider/accounts.ts'
import { invitationRoutes } from './auth/provider/invitations.ts'
import { developmentMailbox, smtpMailer } from './mail/mailer.ts'
import type { Config } from './config.ts'
import { openDatabase, type DatabaseHandle } from './db/client.ts'
import { migrateToLatest } from './db/migrate.ts'
import { getResults } from './results/repository.ts'
import { POLL_CHANGED_CHANNEL } from './db/poll-status.ts'
import { ResultsHub } from './results/hub.ts'
import { BallotBox } from './votes/ballot-box.ts'
import { startMetrics } from './observability/metrics.ts'
import { sealMetrics } from './observability/seal-metrics.ts'
import { startTracing } from './observability/tracing.ts'
import type { SpanProcessor } from '@opentelemetry/sdk-trace'
import { observeDatabase } from './observability/database-metrics.ts'

export interface Runtime {
  app: App
  database: DatabaseHandle
  hub: ResultsHub
  ballotBox: BallotBox
  localIssuer: LocalIssuer | undefined
  /** Where Prometheus scrapes this process (METRICS_PORT), when it is served. */
  metricsUrl: string | undefined
  /** Everything this process's metrics recorded so far, read in-process. */
  collectMetrics(): Promise<ResourceMetrics>
  /** Ends live streams, finishes pending votes, stops listening and closes the database. */
  close(): Promise<void>
  /** Marks the instance as going away: `/readyz` answers 503 from then on. */
  beginShutdown(): void
}

export interface RuntimeOptions {
  /** Use this database instead of opening the configured one (tests). */
  database?: DatabaseHandle
  /** Use this issuer instead of loading the key from the data dir (tests). */
  localIssuer?: LocalIssuer
  /** Spans go here too (tests: an in-memory exporter), even without an OTLP collector. */
  spanProcessor?: SpanProcessor
  /** Sign-in provider settings for tests: shorter code lifetime, tighter rate limits. */
  signIn?: { authorizationCodeTtlSeconds?: number; limits?: SignInRoutesOptions['limits'] }
}

/** Wires the whole API from config: database, migrations, auth, vote writer and live results. */
export async function createRuntime(
  config: Config,
  logger: Logger,
  options: RuntimeOptions = {},
): Promise<Runtime> {
  const database = options.database ?? (await openDatabase(config.database, logger))
  const metrics = await startMetrics(config.metrics).catch(async (error: unknown) => {
    await database.close().catch(() => undefined)
    throw error
  })
  const { meter } = metrics
  const tracing = startTracing({ ...config.tracing, processor: options.spanProcessor })
  const { tracer } = tracing
  const sealObserver = sealMetrics(meter)
  try {
    const applied = await migrateToLatest(database.db)
    if (applied.length > 0) logger.info({ migrations: applied }, 'database migrated')

    const localIssuer =
      config.auth.mode === 'local'
        ? (options.localIssuer ??
          (await loadLocalIssuer(config.auth.issuer, config.dataDir, database.db)))
        : undefined
    const verifyAccessToken = createAccessTokenVerifier({
      issuer: config.auth.issuer,
      clientIds: config.auth.clientIds,
      keys: localIssuer
        ? localIssuer.keys
        : createRemoteJWKSet(new URL(config.auth.mode === 'external' ? config.auth.jwksUrl : ''), {
            timeoutDuration: 5_000,
            cooldownDuration: 30_000,
            cacheMaxAge: 10 * 60_000,
          }),
    })

    // Voter rolls match the issuer's verified email: asked of Cognito's userInfo, or of this
    // process's own accounts when it is the issuer (what its userInfo would answer).
    // Locally, first votes arriving together are looked up in one query (DataLoader batches a
    // tick's lookups): a roll poll's burst costs one account query, not one per voter.
    const accounts = new DataLoader((ids: readonly string[]) => findAccounts(database.db, ids), {
      cache: false,
      maxBatchSize: 500,
    })
    const verifiedMailbox = verifiedMailboxes({
      lookup:
        config.auth.mode === 'external'
          ? userInfoEndpoint(config.auth.userInfoUrl)
          : async (principal) => {
              const account = await accounts.load(principal.sub)
              return {
                sub: principal.sub,
                email: account?.email,
                email_verified: account?.emailVerified ?? false,
              }
            },
    })

    // No external issuer: this process is the laptop's Cognito, sign-in pages included.
    let signIn: ReturnType<typeof signInRoutes> | undefined
    let invitations: ReturnType<typeof invitationRoutes> | undefined
    if (localIssuer && config.auth.mode === 'local') {
      const secret = await loadOrCreateSecret(config.dataDir, 'sign-in-secret', database.db)
      const mailer =
        config.auth.mail.kind === 'smtp'
          ? smtpMailer(config.auth.mail.url, config.auth.mail.from)
          : developmentMailbox(database.db, `${config.auth.issuer}/dev/mailbox`)
      if (config.auth.mail.kind === 'mailbox' && !config.auth.mail.served) {
        logger.warn(
          'no SMTP_URL and DEV_MAILBOX=off: sign-up codes and invitations are stored, never delivered',
        )
      }
      const apiResource = `${config.publicUrl}/api`
      const provider = createSignInProvider({
        issuer: config.auth.issuer,
        apiResource,
        db: database.db,
        signingKey: localIssuer.signingKey,
        cookieKeys: [secret],
        redirectUris: config.auth.redirectUris,
        postLogoutRedirectUris: config.auth.postLogoutRedirectUris,
        authorizationCodeTtlSeconds: options.signIn?.authorizationCodeTtlSeconds,
      })
      // The provider answers its own errors; without this, its 500s would leave no trace.
      provider.on('server_error', (_ctx: unknown, error: Error) => {
        logger.error({ err: error }, 'sign-in provider error')
      })
      signIn = signInRoutes({
        provider,
        db: database.db,
        apiResource,
        secret,
        verifyAccessToken,
        limits: options.signIn?.limits,
        trustProxyHops: config.limits.trustProxyHops,
        redirectUris: config.auth.redirectUris,
        postLogoutRedirectUris: config.auth.postLogoutRedirectUris,
        signUp: config.auth.signUp,
        mailer,
        serveMailbox: config.auth.mail.kind === 'mailbox' && config.auth.mail.served,
        publicUrl: config.publicUrl,
        meter,
      })
      invitations = invitationRoutes({ db: database.db, mailer, issuer: config.auth.issuer })
    }

    const hub = new ResultsHub({
      loadResults: (pollId) => getResults(database.db, pollId, sealObserver),
      coalesceMs: config.results.coalesceMs,
      logger,
      meter,
    })
    const listening = observeDatabase(meter, database)
    const unlisten = await database.listen(POLL_CHANGED_CHANNEL, {
      onNotify: (pollId) => {
        hub.pollChanged(pollId)
      },
      onResync: () => {
        listening.reconnected()
        hub.resyncAll()
      },
    })
    const ballotBox = new BallotBox(database, logger, {
      maxQueued: config.limits.voteQueueMax,
      maxQueueWaitMs: config.limits.voteQueueWaitMs,
      meter,
      tracer,
    })
    let shuttingDown = false

    const app = createApp({
      database,
      logger,
      verifyAccessToken,
      verifiedMailbox,
      groupSize:
        config.auth.mode === 'local'
          ? localGroupSize(database.db)
          : config.auth.userPoolId
            ? cognitoGroupSize({
                userPoolId: config.auth.userPoolId,
                endpoint: config.auth.cognitoEndpoint,
              })
            : undefined,
      ballotBox,
      hub,
      signIn,
      invitations,
      heartbeatMs: config.results.heartbeatMs,
      limits: config.limits,
      web: {
        distDir: config.webDistDir,
        clientConfig: {
          issuer: config.auth.issuer,
          clientId: config.auth.mode === 'local' ? WEB_CLIENT_ID : (config.auth.clientIds[0] ?? ''),
          apiBaseUrl: '/api',
          invitations: invitations !== undefined,
        },
      },
      isShuttingDown: () => shuttingDown,
      meter,
      tracer,
      continueCallerTraces: tracing.continueCallerTraces,
      sealObserver,
      collectMetrics: () => metrics.collect(),
    })
    if (metrics.url) logger.info({ url: metrics.url }, 'metrics served')

    return {
      app,
      database,
      hub,
      ballotBox,
      localIssuer,
      metricsUrl: metrics.url,
      collectMetrics: () => metrics.collect(),
      beginShutdown() {
        shuttingDown = true
      },
      async close() {
        shuttingDown = true
        hub.close()
        await ballotBox.drain()
        await unlisten()
        await database.close()
        await metrics.close()
        await tracing.close()
      },
    }
  } catch (error) {
    await database.close().catch(() => undefined)
    await metrics.close().catch(() => undefined)
    await tracing.close().catch(() => undefined)
    throw error
  }
}
