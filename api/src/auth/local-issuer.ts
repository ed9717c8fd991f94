import { randomBytes, randomUUID } from 'node:crypto'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import {
  createLocalJWKSet,
  exportJWK,
  generateKeyPair,
  importJWK,
  SignJWT,
  type JSONWebKeySet,
  type JWK,
  type JWTVerifyGetKey,
} from 'jose'

import type { Queryable } from '../db/database.ts'

const ALGORITHM = 'RS256' // what Cognito signs with

export interface MintOptions {
  sub: string
  username?: string
  groups?: string[]
  clientId?: string
  scope?: string
  /** Lifetime in seconds; negative values mint already-expired tokens (tests). */
  ttlSeconds?: number
}

/**
 * The laptop's stand-in for Amazon Cognito: one RSA signing key and tokens with Cognito's
 * access-token claims, so the API verifies them with exactly the code it uses in AWS.
 */
export interface LocalIssuer {
  readonly issuer: string
  /** The private signing key, shared with the sign-in provider so both sign alike. */
  readonly signingKey: StoredKey
  readonly jwks: JSONWebKeySet
  readonly keys: JWTVerifyGetKey
  mintAccessToken(options: MintOptions): Promise<string>
}

export interface StoredKey {
  kid: string
  privateJwk: JWK
}

export async function createSigningKey(): Promise<StoredKey> {
  const { privateKey } = await generateKeyPair(ALGORITHM, { extractable: true })
  return { kid: randomUUID(), privateJwk: await exportJWK(privateKey) }
}

/**
 * The contents of `<dataDir>/auth/<name>`, written by `create()` on first use (mode 0600).
 * `wx`: when replicas start together, the first writer wins and the rest read what it wrote.
 *
 * With a database, replicas that share it but not a data dir (pods, API processes on different machines) agree
 * too: the first to start publishes its value there, every other adopts it, and writes it into
 * its own data dir, where `pnpm token` and the tools read the key the API checks.
 */
async function readOrCreate(
  dataDir: string,
  name: string,
  create: () => Promise<string>,
  shared?: Queryable,
): Promise<string> {
  const dir = join(dataDir, 'auth')
  const file = join(dir, name)
  await mkdir(dir, { recursive: true })
  let local: string | undefined
  try {
    local = await readFile(file, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
  }
  if (local === undefined) {
    try {
      await writeFile(file, await create(), { flag: 'wx', mode: 0o600 })
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
    }
    local = await readFile(file, 'utf8')
  }
  if (!shared) return local
  await shared
    .insertInto('local_issuer_secrets')
    .values({ name, value: local })
    .onConflict((oc) => oc.column('name').doNothing())
    .execute()
  const { value } = await shared
    .selectFrom('local_issuer_secrets')
    .select('value')
    .where('name', '=', name)
    .executeTakeFirstOrThrow()
  if (value !== local) await writeFile(file, value, { mode: 0o600 })
  return value
}

export async function loadLocalIssuer(
  issuer: string,
  dataDir: string,
  /** The database replicas share: they then share the key too. */
  shared?: Queryable,
): Promise<LocalIssuer> {
  const stored = await readOrCreate(
    dataDir,
    'local-issuer-key.json',
    async () => JSON.stringify(await createSigningKey()),
    shared,
  )
  return createLocalIssuer(issuer, JSON.parse(stored) as StoredKey)
}

/** An issuer whose key lives only in memory (tests), or the one loaded from disk. */
export async function createLocalIssuer(issuer: string, key?: StoredKey): Promise<LocalIssuer> {
  const { kid, privateJwk } = key ?? (await createSigningKey())
  const privateKey = await importJWK(privateJwk, ALGORITHM)
  const { kty, n, e } = privateJwk
  const publicJwk: JWK = { kty, n, e, kid, alg: ALGORITHM, use: 'sig' }
  const jwks: JSONWebKeySet = { keys: [publicJwk] }

  return {
    issuer,
    signingKey: { kid, privateJwk },
    jwks,
    keys: createLocalJWKSet(jwks),
    async mintAccessToken(options) {
      const now = Math.floor(Date.now() / 1000)
      const ttl = options.ttlSeconds ?? 3600
      const claims: Record<string, unknown> = {
        client_id: options.clientId ?? 'votelab-cli',
        username: options.username ?? options.sub,
        token_use: 'access',
        scope: options.scope ?? 'openid profile email',
        auth_time: now,
      }
      // Like Cognito, the claim is absent rather than empty for users in no group.
      if (options.groups?.length) claims['cognito:groups'] = options.groups
      return new SignJWT(claims)
        .setProtectedHeader({ alg: ALGORITHM, kid })
        .setIssuer(issuer)
        .setSubject(options.sub)
        .setIssuedAt(now)
        .setExpirationTime(now + ttl)
        .setJti(randomUUID())
        .sign(privateKey)
    },
  }
}

/** A random secret kept in `<dataDir>/auth/<name>.txt` (created on first use, mode 0600). */
export async function loadOrCreateSecret(
  dataDir: string,
  name: string,
  shared?: Queryable,
): Promise<string> {
  const secret = await readOrCreate(
    dataDir,
    `${name}.txt`,
    () => Promise.resolve(randomBytes(32).toString('base64url')),
    shared,
  )
  return secret.trim()
}
