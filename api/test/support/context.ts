import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pino, type Logger } from 'pino'
import { importJWK, SignJWT, type JWTPayload } from 'jose'
import type { ClientResponse, InferResponseType } from 'hono/client'
import { testClient } from 'hono/testing'
import type { App } from '../../src/app.ts'
import {
  createLocalIssuer,
  createSigningKey,
  type LocalIssuer,
  type MintOptions,
} from '../../src/auth/local-issuer.ts'
import { ADMIN_GROUP } from '../../src/auth/verify.ts'
import { loadConfig, type Config } from '../../src/config.ts'
import type { ErrorBody, FieldProblem } from '../../src/http/errors.ts'
import { listen, type HttpListener } from '../../src/http-server.ts'
import { createRuntime, type Runtime, type RuntimeOptions } from '../../src/runtime.ts'
import { createTestDatabase, type TestDatabase } from './databases.ts'

export const TEST_ISSUER = 'http://localhost:3000/auth'

/** Hono's typed client over the app in memory: request and response types come from the routes. */
export type ApiClient = ReturnType<typeof testClient<App>>
/** A poll's results as the API answers them. */
export type Results = InferResponseType<
  ApiClient['api']['polls'][':pollId']['results']['$get'],
  200
>

/** An error answer as tests read it: a `validation_failed` lists its fields in `details`. */
export interface ErrorAnswer {
  error: Omit<ErrorBody['error'], 'details'> & { details?: FieldProblem[] }
}

type BodyFor<R, S extends number> =
  R extends ClientResponse<infer Body, infer Status, 'json'>
    ? Status extends S
      ? Body
      : never
    : never

/** The typed body of a client's answer with `status`; any other status fails, showing the body. */
export async function bodyOf<R extends ClientResponse<unknown>, S extends number>(
  response: R,
  status: S,
): Promise<BodyFor<R, S>> {
  if (response.status !== status) {
    throw new Error(
      `expected ${String(status)}, got ${String(response.status)}: ${await response.text()}`,
    )
  }
  return (await response.json()) as BodyFor<R, S>
}

export function testConfig(overrides: Record<string, string> = {}): Config {
  return loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    HOST: '127.0.0.1',
    PORT: '0',
    PUBLIC_URL: 'http://localhost:3000',
    RESULTS_COALESCE_MS: '50',
    // Suites hammer one voter and one address on purpose; limits have tests of their own.
    RATE_LIMIT_VOTER_WRITES_PER_MINUTE: '0',
    RATE_LIMIT_ADDRESS_WRITES_PER_MINUTE: '0',
    POLLS_PER_ADMIN_PER_HOUR: '0',
    DATA_DIR: mkdtempSync(join(tmpdir(), 'votelab-test-')),
    ...overrides,
  })
}

export interface TestContext {
  runtime: Runtime
  testDatabase: TestDatabase
  issuer: LocalIssuer
  config: Config
  /** The typed client, sending `token` as the bearer when given: for well-formed requests. */
  client(token?: string): ApiClient
  /** `app.request()` with JSON and an optional bearer token: for anything, hostile included. */
  call(
    method: string,
    path: string,
    options?: { token?: string; body?: unknown; headers?: Record<string, string> },
  ): Promise<Response>
  /** A vote through the typed client (`?? ''`: option lists from openPoll are never too short). */
  castVote(
    token: string,
    pollId: string,
    optionId: string | undefined,
    idempotencyKey?: string,
  ): ReturnType<ApiClient['api']['polls'][':pollId']['votes']['$post']>
  /** A poll's results through the typed client, failing on anything but 200. */
  results(pollId: string, token?: string): Promise<Results>
  /** Signs any claims with the issuer's real key: for tokens that differ from good ones in one way. */
  signWithIssuerKey(claims: JWTPayload): Promise<string>
  voterToken(sub: string, options?: Omit<MintOptions, 'sub'>): Promise<string>
  adminToken(): Promise<string>
  /** Creates a poll as admin (with any extra fields) and opens it; returns its id and option ids. */
  openPoll(
    options?: string[],
    extra?: Record<string, unknown>,
  ): Promise<{ pollId: string; optionIds: string[] }>
  /** Serves the app over real HTTP on 127.0.0.1 (random port). */
  listen(): Promise<HttpListener>
  close(): Promise<void>
}

/** The app, wired exactly as in production, on a database of the file's own. */
export async function createTestContext(
  overrides: Record<string, string> = {},
  runtimeOptions: Pick<RuntimeOptions, 'signIn' | 'spanProcessor'> & { logger?: Logger } = {},
): Promise<TestContext> {
  const testDatabase = await createTestDatabase()
  const config = testConfig(overrides)
  const signingKey = await createSigningKey()
  // The issuer the API trusts: with PUBLIC_URL moved (the browser tests), minted tokens follow.
  const issuer = await createLocalIssuer(
    config.auth.mode === 'local' ? config.auth.issuer : TEST_ISSUER,
    signingKey,
  )
  const logger = runtimeOptions.logger ?? pino({ level: 'silent' })
  const runtime = await createRuntime(config, logger, {
    ...runtimeOptions,
    database: await testDatabase.open(),
    localIssuer: issuer,
  })
  const listeners: HttpListener[] = []

  const context: TestContext = {
    runtime,
    testDatabase,
    issuer,
    config,
    client: (token) =>
      testClient(
        runtime.app,
        undefined,
        undefined,
        token ? { headers: { authorization: `Bearer ${token}` } } : {},
      ),
    castVote: (token, pollId, optionId, idempotencyKey) =>
      context.client(token).api.polls[':pollId'].votes.$post({
        param: { pollId },
        json: { optionId: optionId ?? '' },
        header: idempotencyKey === undefined ? {} : { 'idempotency-key': idempotencyKey },
      }),
    results: async (pollId, token) =>
      bodyOf(
        await context.client(token).api.polls[':pollId'].results.$get({ param: { pollId } }),
        200,
      ),
    call(method, path, options = {}) {
      const headers: Record<string, string> = { ...options.headers }
      if (options.token) headers.authorization = `Bearer ${options.token}`
      let body: string | undefined
      if (options.body !== undefined) {
        headers['content-type'] ??= 'application/json'
        body = typeof options.body === 'string' ? options.body : JSON.stringify(options.body)
      }
      return Promise.resolve(runtime.app.request(path, { method, headers, body }))
    },
    async signWithIssuerKey(claims) {
      const key = await importJWK(signingKey.privateJwk, 'RS256')
      return new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: signingKey.kid }).sign(key)
    },
    voterToken: (sub, options = {}) => issuer.mintAccessToken({ sub, ...options }),
    adminToken: () => issuer.mintAccessToken({ sub: 'admin', groups: [ADMIN_GROUP] }),
    async openPoll(labels = ['Yes', 'No', 'Abstain'], extra = {}) {
      const token = await context.adminToken()
      const created = await context.call('POST', '/api/polls', {
        token,
        body: { title: 'A test poll', options: labels, ...extra },
      })
      if (created.status !== 201)
        throw new Error(`create failed: ${created.status} ${await created.text()}`)
      const poll = (await created.json()) as { id: string; options: { id: string }[] }
      const opened = await context.call('POST', `/api/polls/${poll.id}/open`, { token })
      if (opened.status !== 200) throw new Error(`open failed: ${opened.status}`)
      return { pollId: poll.id, optionIds: poll.options.map((option) => option.id) }
    },
    async listen() {
      const listener = await listen(runtime, config, logger)
      listeners.push(listener)
      return listener
    },
    async close() {
      await Promise.all(listeners.map((listener) => listener.close()))
      await runtime.close().catch(() => undefined)
      await testDatabase.drop()
      rmSync(config.dataDir, { recursive: true, force: true })
    },
  }
  return context
}
