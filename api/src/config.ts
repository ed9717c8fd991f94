import { fileURLToPath } from 'node:url'
import { z } from 'zod'

/** The repository root's `.data/`, wherever the process was started from. */
const defaultDataDir = fileURLToPath(new URL('../../.data', import.meta.url))
const defaultWebDir = fileURLToPath(new URL('../../web/dist', import.meta.url))

const commaList = z
  .string()
  .transform((value) =>
    value
      .split(',')
      .map((item) => item.trim())
      .filter(Boolean),
  )
  .pipe(z.array(z.string().min(1)).min(1))

const envSchema = z
  .object({
    NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
    HOST: z.string().min(1).default('127.0.0.1'),
    PORT: z.coerce.number().int().min(0).max(65535).default(3000),
    PUBLIC_URL: z.url().optional(),
    // Vite's dev server (hot reload) during `pnpm dev`; by default 2173 above PORT (3000 → 5173),
    // so a second checkout on another PORT gets its own.
    WEB_DEV_PORT: z.coerce.number().int().min(1).max(65535).optional(),
    LOG_LEVEL: z
      .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
      .default('info'),
    // `pretty` (the development default): one short line per request; `json` for machines.
    LOG_FORMAT: z.enum(['json', 'pretty']).optional(),
    // Prometheus text on a port of its own (0: any free one); unset, no metrics server.
    METRICS_PORT: z.coerce.number().int().min(0).max(65535).optional(),
    METRICS_HOST: z.string().min(1).default('127.0.0.1'),
    // OpenTelemetry's standard variable: push metrics over OTLP/HTTP to this collector.
    OTEL_EXPORTER_OTLP_ENDPOINT: z.url().optional(),
    OTEL_METRIC_EXPORT_INTERVAL: z.coerce.number().int().min(100).default(60_000),
    // What the collector is sent (OpenTelemetry's standard variables). CloudWatch, through the
    // collector, wants deltas, and computes percentiles only from exponential histograms.
    OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE: z
      .enum(['cumulative', 'delta'])
      .default('cumulative'),
    OTEL_EXPORTER_OTLP_METRICS_DEFAULT_HISTOGRAM_AGGREGATION: z
      .enum(['explicit_bucket_histogram', 'base2_exponential_bucket_histogram'])
      .default('explicit_bucket_histogram'),
    // Traces go to the same collector; this share of new traces is recorded (AWS sets it lower).
    OTEL_TRACES_SAMPLER_ARG: z.coerce.number().min(0).max(1).default(1),
    // `console` prints each span on stdout: traces on a laptop without a collector.
    OTEL_TRACES_EXPORTER: z.enum(['otlp', 'console', 'none']).default('otlp'),
    // `none`: ignore callers' `traceparent`, so that nobody outside can choose what is sampled
    // (and paid for) — what a public deployment sets.
    OTEL_PROPAGATORS: z.enum(['tracecontext', 'none']).default('tracecontext'),
    DATA_DIR: z.string().min(1).default(defaultDataDir),
    WEB_DIST_DIR: z.string().min(1).default(defaultWebDir),

    DATABASE_URL: z
      .url()
      .refine((url) => /^postgres(ql)?:\/\//.test(url), 'must be a postgres:// URL')
      .optional(),
    // In AWS the password arrives on its own (ECS injects it from Secrets Manager) and the URL
    // without it is plain configuration.
    DATABASE_PASSWORD: z.string().min(1).optional(),
    DATABASE_SSL: z.enum(['disable', 'require', 'verify-full']).default('disable'),
    DATABASE_CA_FILE: z.string().min(1).optional(),
    // `amazon-rds`: trust RDS's certificate authorities (bundled, db/amazon-rds-ca.ts).
    DATABASE_CA: z.enum(['system', 'amazon-rds']).default('system'),
    DATABASE_POOL_MAX: z.coerce.number().int().min(1).max(200).default(10),
    DATABASE_STATEMENT_TIMEOUT_MS: z.coerce.number().int().min(100).default(5_000),

    AUTH_ISSUER: z.url().optional(),
    AUTH_JWKS_URL: z.url().optional(),
    // Where voter rolls learn a voter's verified email (Cognito: the hosted domain's /oauth2/userInfo).
    AUTH_USERINFO_URL: z.url().optional(),
    // The Cognito user pool (eu-west-1_AbC123): group polls count its groups at close, for turnout.
    AUTH_USER_POOL_ID: z
      .string()
      .regex(/^[a-z]{2}(-[a-z]+)+-\d_[0-9A-Za-z]+$/, 'must be a user pool id like eu-west-1_AbC123')
      .optional(),
    // Another Cognito endpoint (tests; LocalStack and the like).
    AUTH_COGNITO_ENDPOINT: z.url().optional(),
    AUTH_CLIENT_IDS: commaList.optional(),
    AUTH_LOCAL_REDIRECT_URIS: commaList.pipe(z.array(z.url())).optional(),
    AUTH_LOCAL_LOGOUT_URIS: commaList.pipe(z.array(z.url())).optional(),
    // Who may create an account with the local provider: anyone, addresses at these domains, or
    // only people an admin invites.
    SIGN_UP: z.enum(['open', 'domains', 'invite']).default('open'),
    // Whether `a+1@x` counts as `a@x` when someone signs up (same: one account per mailbox).
    SIGN_UP_PLUS_ADDRESSES: z.enum(['same', 'distinct']).default('same'),
    // The local provider's mail (codes, invitations): a real SMTP server, or without one the
    // development mailbox at /auth/dev/mailbox (on by default outside production).
    SMTP_URL: z
      .url()
      .refine((url) => /^smtps?:\/\//.test(url), 'must be an smtp:// or smtps:// URL')
      .optional(),
    SMTP_FROM: z.string().min(3).default('votelab <no-reply@votelab.local>'),
    DEV_MAILBOX: z.enum(['on', 'off']).optional(),
    SIGN_UP_DOMAINS: commaList
      .pipe(
        z.array(
          z
            .string()
            .toLowerCase()
            .regex(
              /^(?=.{1,253}$)([a-z0-9-]{1,63}\.)+[a-z]{2,63}$/,
              'not a domain like example.org',
            ),
        ),
      )
      .optional(),

    RESULTS_COALESCE_MS: z.coerce.number().int().min(10).max(10_000).default(250),
    SSE_HEARTBEAT_MS: z.coerce.number().int().min(100).default(15_000),
    SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(9_000),

    // Overload protection (docs/operations.md). 0 switches a rate limit off.
    RATE_LIMIT_VOTER_WRITES_PER_MINUTE: z.coerce.number().int().min(0).default(30),
    RATE_LIMIT_ADDRESS_WRITES_PER_MINUTE: z.coerce.number().int().min(0).default(1_200),
    TRUST_PROXY_HOPS: z.coerce.number().int().min(0).max(5).default(0),
    VOTE_QUEUE_MAX: z.coerce.number().int().min(1).default(5_000),
    VOTE_QUEUE_WAIT_MS: z.coerce.number().int().min(10).default(2_000),
    REQUEST_TIMEOUT_MS: z.coerce.number().int().min(100).default(10_000),
    POLLS_PER_ADMIN_PER_HOUR: z.coerce.number().int().min(0).default(60),
    // Live-result streams (docs/operations.md: ~35 KB each; a 512 MB task holds ~8,000).
    STREAMS_PER_ADDRESS: z.coerce.number().int().min(0).default(20),
    STREAMS_PER_PROCESS: z.coerce.number().int().min(0).default(8_000),
    STREAM_MAX_LIFETIME_MS: z.coerce
      .number()
      .int()
      .min(1_000)
      .default(30 * 60_000),
    BODY_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(10_000),
  })
  .refine((env) => env.DATABASE_SSL === 'disable' || env.DATABASE_URL, {
    path: ['DATABASE_SSL'],
    message: 'needs DATABASE_URL',
  })
  .refine((env) => !(env.SMTP_URL && env.DEV_MAILBOX === 'on'), {
    path: ['DEV_MAILBOX'],
    message: 'with SMTP_URL set, mail goes out by SMTP: there is no development mailbox',
  })
  .refine((env) => env.SIGN_UP !== 'domains' || env.SIGN_UP_DOMAINS?.length, {
    path: ['SIGN_UP_DOMAINS'],
    message: 'SIGN_UP=domains needs the domains, e.g. SIGN_UP_DOMAINS=example.org,example.com',
  })

function withPassword(url: string, password: string | undefined): string {
  if (password === undefined) return url
  const parsed = new URL(url)
  parsed.password = encodeURIComponent(password)
  return parsed.toString()
}

export const LOCAL_CLIENT_IDS = ['votelab-web', 'votelab-cli']

export type SignUpPolicy = (
  | { readonly policy: 'open' }
  | { readonly policy: 'domains'; readonly domains: readonly string[] }
  | { readonly policy: 'invite' }
) & {
  /** `same`: `a+1@x` cannot make a second account beside `a@x`. */
  readonly plusAddresses: 'same' | 'distinct'
}

/** Where the local provider's mail goes. */
export type MailConfig =
  | { readonly kind: 'smtp'; readonly url: string; readonly from: string }
  /** Kept in the database; `served`: readable at /auth/dev/mailbox. */
  | { readonly kind: 'mailbox'; readonly served: boolean }

export interface Config {
  readonly env: 'development' | 'test' | 'production'
  readonly host: string
  readonly port: number
  readonly publicUrl: string
  /** Vite's dev server with hot reload (`pnpm dev`): the page at another origin, same API. */
  readonly webDevUrl: string
  /** `pretty` on a laptop (NODE_ENV=development), `json` everywhere else unless LOG_FORMAT says. */
  readonly logFormat: 'json' | 'pretty'
  readonly logLevel: string
  /** Metrics (observability/metrics.ts): a Prometheus port, an OTLP collector, or neither. */
  readonly metrics: {
    readonly port: number | undefined
    readonly host: string
    readonly otlpEndpoint: string | undefined
    readonly exportIntervalMs: number
  }
  /** Traces (observability/tracing.ts): exported to the OTLP collector, when there is one. */
  readonly tracing: {
    readonly otlpEndpoint: string | undefined
    readonly console: boolean
    readonly sampleRatio: number
  }
  readonly dataDir: string
  /** The built web client the API serves at `/` (locally; CloudFront serves it in AWS). */
  readonly webDistDir: string
  readonly database:
    | { readonly kind: 'pglite'; readonly dataDir: string }
    | {
        readonly kind: 'postgres'
        readonly url: string
        readonly ssl: 'disable' | 'require' | 'verify-full'
        readonly caFile: string | undefined
        /** Whose certificate authorities verify the server when there is no `caFile`. */
        readonly ca: 'system' | 'amazon-rds'
        readonly poolMax: number
        readonly statementTimeoutMs: number
      }
  /** `local` = this process is its own issuer (the laptop default); `external` = Cognito or another OIDC issuer. */
  readonly auth:
    | {
        readonly mode: 'local'
        readonly issuer: string
        readonly clientIds: readonly string[]
        /** Where the local sign-in provider may send the web client back to. */
        readonly redirectUris: readonly string[]
        readonly postLogoutRedirectUris: readonly string[]
        /** Who may create an account: anyone, or addresses at these domains. */
        readonly signUp: SignUpPolicy
        readonly mail: MailConfig
      }
    | {
        readonly mode: 'external'
        readonly issuer: string
        readonly jwksUrl: string
        /** The issuer's userInfo endpoint: a voter's verified email, for voter rolls. */
        readonly userInfoUrl: string
        readonly clientIds: readonly string[]
        /** With Cognito: the pool whose groups are counted for turnout. */
        readonly userPoolId?: string | undefined
        readonly cognitoEndpoint?: string | undefined
      }
  readonly results: { readonly coalesceMs: number; readonly heartbeatMs: number }
  readonly shutdownTimeoutMs: number
  readonly limits: {
    /** Writes per voter and per client address per minute; undefined = unlimited. */
    readonly voterWritesPerMinute: number | undefined
    readonly addressWritesPerMinute: number | undefined
    /** Proxies of ours in front (nginx: 1; CloudFront + ALB: 2): who the client is. */
    readonly trustProxyHops: number
    /** Votes waiting for a batch: beyond either bound, new votes get 503 at once. */
    readonly voteQueueMax: number
    readonly voteQueueWaitMs: number
    /** Reads answer within this or get 503 (votes are bounded by the queue wait instead). */
    readonly requestTimeoutMs: number
    /** New polls one admin may create per hour; undefined = no cap. */
    readonly pollsPerAdminPerHour: number | undefined
    /** Open live-result streams per client address and per process (0 = no cap), and their lifetime. */
    readonly streams: { perAddress: number; perProcess: number; maxLifetimeMs: number }
    /** A request body must arrive within this after its headers, or 408 and the socket closes. */
    readonly bodyTimeoutMs: number
  }
}

export class ConfigError extends Error {
  readonly issues: string[]
  constructor(issues: string[]) {
    super(`Invalid configuration:\n${issues.map((issue) => `  - ${issue}`).join('\n')}`)
    this.name = 'ConfigError'
    this.issues = issues
  }
}

/** Parses the environment once; everything else reads the returned object, never `process.env`. */
export function loadConfig(source: Record<string, string | undefined> = process.env): Config {
  // An empty variable (`FOO=` in a compose file or a shell) means "not set", not "invalid".
  const set = Object.fromEntries(Object.entries(source).filter(([, value]) => value !== ''))
  const parsed = envSchema.safeParse(set)
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => `${issue.path.join('.') || 'env'}: ${issue.message}`),
    )
  }
  const env = parsed.data
  const publicUrl = (env.PUBLIC_URL ?? `http://localhost:${env.PORT}`).replace(/\/$/, '')
  const webDevUrl = `http://localhost:${env.WEB_DEV_PORT ?? Math.min(65535, env.PORT + 2173)}`

  if (env.AUTH_ISSUER && !env.AUTH_CLIENT_IDS) {
    throw new ConfigError(['AUTH_CLIENT_IDS: required when AUTH_ISSUER is set'])
  }

  const issuer = env.AUTH_ISSUER?.replace(/\/$/, '')
  return Object.freeze({
    env: env.NODE_ENV,
    host: env.HOST,
    port: env.PORT,
    publicUrl,
    webDevUrl,
    logLevel: env.LOG_LEVEL,
    logFormat: env.LOG_FORMAT ?? (env.NODE_ENV === 'development' ? 'pretty' : 'json'),
    metrics: {
      port: env.METRICS_PORT,
      host: env.METRICS_HOST,
      otlpEndpoint: env.OTEL_EXPORTER_OTLP_ENDPOINT,
      exportIntervalMs: env.OTEL_METRIC_EXPORT_INTERVAL,
      otlpTemporality: env.OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE,
      otlpHistograms:
        env.OTEL_EXPORTER_OTLP_METRICS_DEFAULT_HISTOGRAM_AGGREGATION ===
        'base2_exponential_bucket_histogram'
          ? ('exponential' as const)
          : ('explicit' as const),
    },
    tracing: {
      otlpEndpoint:
        env.OTEL_TRACES_EXPORTER === 'otlp' ? env.OTEL_EXPORTER_OTLP_ENDPOINT : undefined,
      console: env.OTEL_TRACES_EXPORTER === 'console',
      sampleRatio: env.OTEL_TRACES_SAMPLER_ARG,
      continueCallerTraces: env.OTEL_PROPAGATORS === 'tracecontext',
    },
    dataDir: env.DATA_DIR,
    webDistDir: env.WEB_DIST_DIR,
    database: env.DATABASE_URL
      ? {
          kind: 'postgres' as const,
          url: withPassword(env.DATABASE_URL, env.DATABASE_PASSWORD),
          ssl: env.DATABASE_SSL,
          caFile: env.DATABASE_CA_FILE,
          ca: env.DATABASE_CA,
          poolMax: env.DATABASE_POOL_MAX,
          statementTimeoutMs: env.DATABASE_STATEMENT_TIMEOUT_MS,
        }
      : { kind: 'pglite' as const, dataDir: `${env.DATA_DIR}/pglite` },
    auth: issuer
      ? {
          mode: 'external' as const,
          issuer,
          // Cognito publishes its keys here; other issuers can say otherwise.
          jwksUrl: env.AUTH_JWKS_URL ?? `${issuer}/.well-known/jwks.json`,
          // The local provider's path; Cognito serves it on the hosted domain instead (infra sets it).
          userInfoUrl: env.AUTH_USERINFO_URL ?? `${issuer}/oauth2/userInfo`,
          ...(env.AUTH_USER_POOL_ID ? { userPoolId: env.AUTH_USER_POOL_ID } : {}),
          ...(env.AUTH_COGNITO_ENDPOINT ? { cognitoEndpoint: env.AUTH_COGNITO_ENDPOINT } : {}),
          clientIds: env.AUTH_CLIENT_IDS ?? [],
        }
      : {
          mode: 'local' as const,
          issuer: `${publicUrl}/auth`,
          clientIds: env.AUTH_CLIENT_IDS ?? LOCAL_CLIENT_IDS,
          // The page's own origin, and Vite's dev server (pnpm dev) with hot reload.
          redirectUris: env.AUTH_LOCAL_REDIRECT_URIS ?? [
            `${publicUrl}/callback`,
            `${webDevUrl}/callback`,
          ],
          postLogoutRedirectUris: env.AUTH_LOCAL_LOGOUT_URIS ?? [`${publicUrl}/`, `${webDevUrl}/`],
          signUp: {
            ...(env.SIGN_UP === 'domains'
              ? { policy: 'domains' as const, domains: env.SIGN_UP_DOMAINS ?? [] }
              : { policy: env.SIGN_UP }),
            plusAddresses: env.SIGN_UP_PLUS_ADDRESSES,
          },
          mail: env.SMTP_URL
            ? { kind: 'smtp' as const, url: env.SMTP_URL, from: env.SMTP_FROM }
            : {
                kind: 'mailbox' as const,
                served:
                  (env.DEV_MAILBOX ?? (env.NODE_ENV === 'production' ? 'off' : 'on')) === 'on',
              },
        },
    results: { coalesceMs: env.RESULTS_COALESCE_MS, heartbeatMs: env.SSE_HEARTBEAT_MS },
    shutdownTimeoutMs: env.SHUTDOWN_TIMEOUT_MS,
    limits: {
      voterWritesPerMinute: env.RATE_LIMIT_VOTER_WRITES_PER_MINUTE || undefined,
      addressWritesPerMinute: env.RATE_LIMIT_ADDRESS_WRITES_PER_MINUTE || undefined,
      trustProxyHops: env.TRUST_PROXY_HOPS,
      voteQueueMax: env.VOTE_QUEUE_MAX,
      voteQueueWaitMs: env.VOTE_QUEUE_WAIT_MS,
      requestTimeoutMs: env.REQUEST_TIMEOUT_MS,
      bodyTimeoutMs: env.BODY_TIMEOUT_MS,
      pollsPerAdminPerHour: env.POLLS_PER_ADMIN_PER_HOUR || undefined,
      streams: {
        perAddress: env.STREAMS_PER_ADDRESS,
        perProcess: env.STREAMS_PER_PROCESS,
        maxLifetimeMs: env.STREAM_MAX_LIFETIME_MS,
      },
    },
  })
}
