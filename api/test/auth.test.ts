import { generateKeyPair, SignJWT, type JWK } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  createTestContext,
  type ErrorAnswer,
  TEST_ISSUER,
  type TestContext,
} from './support/context.ts'

let ctx: TestContext
beforeAll(async () => {
  ctx = await createTestContext()
})
afterAll(() => ctx.close())

const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url')

async function expectRejected(token: string) {
  const response = await ctx.call('GET', '/api/me', { token })
  expect(response.status).toBe(401)
  expect(response.headers.get('www-authenticate')).toMatch(
    /^Bearer realm="votelab", error="invalid_token"/,
  )
  const body = (await response.json()) as ErrorAnswer
  expect(body.error.code).toBe('invalid_token')
  return body
}

describe('access tokens', () => {
  it('accepts a Cognito-shaped access token and reports who is calling', async () => {
    const token = await ctx.issuer.mintAccessToken({ sub: 'alice', groups: ['admins', 'staff'] })
    const response = await ctx.call('GET', '/api/me', { token })
    expect(response.status).toBe(200)
    expect(await response.json()).toEqual({
      sub: 'alice',
      username: 'alice',
      groups: ['admins', 'staff'],
    })
  })

  it('asks for a token when none is sent', async () => {
    const response = await ctx.call('GET', '/api/me')
    expect(response.status).toBe(401)
    expect(response.headers.get('www-authenticate')).toBe('Bearer realm="votelab"')
  })

  it('rejects a malformed Authorization header', async () => {
    const response = await ctx.call('GET', '/api/me', {
      headers: { authorization: 'Basic Zm9vOmJhcg==' },
    })
    expect(response.status).toBe(401)
  })

  it('rejects an expired token', async () => {
    const body = await expectRejected(await ctx.voterToken('alice', { ttlSeconds: -60 }))
    expect(JSON.stringify(body)).toContain('expired')
  })

  it('rejects a token from another issuer', async () => {
    const { createLocalIssuer } = await import('../src/auth/local-issuer.ts')
    const stranger = await createLocalIssuer('https://evil.example/auth')
    await expectRejected(await stranger.mintAccessToken({ sub: 'alice' }))
  })

  it('rejects a token with the right issuer name but a key it does not publish (unknown kid)', async () => {
    const { createLocalIssuer } = await import('../src/auth/local-issuer.ts')
    const impostor = await createLocalIssuer(TEST_ISSUER)
    await expectRejected(await impostor.mintAccessToken({ sub: 'alice' }))
  })

  it('rejects a token issued to a client it does not accept', async () => {
    await expectRejected(await ctx.voterToken('alice', { clientId: 'someone-elses-app' }))
  })

  it('rejects an id token (token_use: id), even one signed by the real key', async () => {
    const now = Math.floor(Date.now() / 1000)
    const idToken = await ctx.signWithIssuerKey({
      iss: TEST_ISSUER,
      sub: 'alice',
      aud: 'votelab-web',
      client_id: 'votelab-web',
      token_use: 'id',
      email: 'alice@example.com',
      iat: now,
      exp: now + 3600,
    })
    const body = await expectRejected(idToken)
    expect(JSON.stringify(body)).toContain('not an access token')
  })

  /** A good access token's claims, signed with the real key, but for `changes`. */
  function signedWith(changes: Record<string, unknown> = {}) {
    const now = Math.floor(Date.now() / 1000)
    return ctx.signWithIssuerKey({
      iss: TEST_ISSUER,
      sub: 'carol',
      client_id: 'votelab-web',
      token_use: 'access',
      scope: 'openid',
      iat: now,
      exp: now + 60,
      ...changes,
    })
  }

  it('accepts a token signed by the real key when every claim is right (control for the forgeries)', async () => {
    const token = await signedWith()
    expect((await ctx.call('GET', '/api/me', { token })).status).toBe(200)
  })

  it.each([
    ['a number as sub', { sub: 42 }],
    ['an object as sub', { sub: { id: 'carol' } }],
    ['an empty sub', { sub: '' }],
    ['a sub with a NUL byte', { sub: 'car\u0000ol' }],
    ['a 300-character sub', { sub: 'c'.repeat(300) }],
    ['an iat a minute in the future', { iat: Math.floor(Date.now() / 1000) + 60 }],
    [
      'an iat two days ago (older than any access token lives)',
      { iat: Math.floor(Date.now() / 1000) - 2 * 86400 },
    ],
    ['a string as iat', { iat: 'now' }],
  ])('rejects a token signed by the real key with %s', async (_name, claims) => {
    await expectRejected(await signedWith(claims))
  })

  it('rejects alg: none', async () => {
    const good = await ctx.voterToken('alice')
    const [, payload] = good.split('.')
    await expectRejected(`${b64({ alg: 'none', typ: 'JWT' })}.${payload}.`)
  })

  it('rejects HS256 signed with the public key as the secret', async () => {
    const good = await ctx.voterToken('alice')
    const payload = JSON.parse(
      Buffer.from(good.split('.')[1] ?? '', 'base64url').toString(),
    ) as Record<string, unknown>
    const publicJwk = ctx.issuer.jwks.keys[0] as JWK
    const secret = new TextEncoder().encode(JSON.stringify(publicJwk))
    const forged = await new SignJWT(payload)
      .setProtectedHeader({ alg: 'HS256', kid: publicJwk.kid })
      .sign(secret)
    await expectRejected(forged)
  })

  it('rejects a tampered payload', async () => {
    const good = await ctx.voterToken('alice')
    const [header, payload, signature] = good.split('.') as [string, string, string]
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<
      string,
      unknown
    >
    const tampered = b64({ ...claims, 'cognito:groups': ['admins'] })
    await expectRejected(`${header}.${tampered}.${signature}`)
  })

  it('rejects a token signed by a different algorithm family it has no key for', async () => {
    const { privateKey } = await generateKeyPair('ES256', { extractable: true })
    const forged = await new SignJWT({ token_use: 'access', client_id: 'votelab-cli' })
      .setProtectedHeader({ alg: 'ES256', kid: ctx.issuer.jwks.keys[0]?.kid })
      .setIssuer(TEST_ISSUER)
      .setSubject('alice')
      .setIssuedAt()
      .setExpirationTime('1h')
      .sign(privateKey)
    await expectRejected(forged)
  })

  it('lets members of admins, and only them, use admin routes', async () => {
    const voter = await ctx.voterToken('bob')
    const forbidden = await ctx.call('POST', '/api/polls', {
      token: voter,
      body: { title: 't', options: ['a', 'b'] },
    })
    expect(forbidden.status).toBe(403)
    expect(((await forbidden.json()) as ErrorAnswer).error.code).toBe('forbidden')
    const anonymous = await ctx.call('POST', '/api/polls', {
      body: { title: 't', options: ['a', 'b'] },
    })
    expect(anonymous.status).toBe(401)
  })
})
