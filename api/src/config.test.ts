import { describe, expect, it } from 'vitest'
import { ConfigError, loadConfig } from './config.ts'

describe('loadConfig', () => {
  it('defaults to the laptop setup: port 3000, PGlite under .data/, the local issuer', () => {
    const config = loadConfig({})
    expect(config.port).toBe(3000)
    expect(config.database.kind).toBe('pglite')
    expect(config.dataDir).toMatch(/\.data$/)
    expect(config.auth).toEqual({
      mode: 'local',
      issuer: 'http://localhost:3000/auth',
      clientIds: ['votelab-web', 'votelab-cli'],
      redirectUris: ['http://localhost:3000/callback', 'http://localhost:5173/callback'],
      postLogoutRedirectUris: ['http://localhost:3000/', 'http://localhost:5173/'],
      signUp: { policy: 'open', plusAddresses: 'same' },
      mail: { kind: 'mailbox', served: true },
    })
  })

  it('limits sign-up to listed domains when asked, and refuses the policy without them', () => {
    const config = loadConfig({
      SIGN_UP: 'domains',
      SIGN_UP_DOMAINS: 'Example.org, lab.example.com',
    })
    expect(config.auth).toMatchObject({
      signUp: { policy: 'domains', domains: ['example.org', 'lab.example.com'] },
    })
    expect(() => loadConfig({ SIGN_UP: 'domains' })).toThrow(
      /SIGN_UP_DOMAINS: SIGN_UP=domains needs/,
    )
    expect(() => loadConfig({ SIGN_UP: 'domains', SIGN_UP_DOMAINS: 'not a domain' })).toThrow(
      /SIGN_UP_DOMAINS/,
    )
    expect(() => loadConfig({ SIGN_UP: 'invite-only' })).toThrow(/SIGN_UP/)
    expect(
      loadConfig({ SIGN_UP: 'invite', SIGN_UP_PLUS_ADDRESSES: 'distinct' }).auth,
    ).toMatchObject({ signUp: { policy: 'invite', plusAddresses: 'distinct' } })
  })

  it('moves the hot-reload page with PORT, unless WEB_DEV_PORT says otherwise (issue 18, bug 1)', () => {
    const moved = loadConfig({ PORT: '3300' })
    expect(moved.webDevUrl).toBe('http://localhost:5473')
    expect(moved.auth).toMatchObject({
      issuer: 'http://localhost:3300/auth',
      redirectUris: ['http://localhost:3300/callback', 'http://localhost:5473/callback'],
      postLogoutRedirectUris: ['http://localhost:3300/', 'http://localhost:5473/'],
    })
    expect(loadConfig({ PORT: '3300', WEB_DEV_PORT: '8080' }).webDevUrl).toBe(
      'http://localhost:8080',
    )
  })

  it('logs for people in development and JSON elsewhere, unless LOG_FORMAT says (issue 18, item 8)', () => {
    expect(loadConfig({}).logFormat).toBe('pretty')
    expect(loadConfig({ NODE_ENV: 'production' }).logFormat).toBe('json')
    expect(loadConfig({ NODE_ENV: 'test' }).logFormat).toBe('json')
    expect(loadConfig({ LOG_FORMAT: 'json' }).logFormat).toBe('json')
    expect(() => loadConfig({ LOG_FORMAT: 'yaml' })).toThrow(/LOG_FORMAT/)
  })

  it('mails through SMTP_URL, or into the development mailbox (served outside production only)', () => {
    expect(loadConfig({ SMTP_URL: 'smtps://u:p@mail.example:465' }).auth).toMatchObject({
      mail: {
        kind: 'smtp',
        url: 'smtps://u:p@mail.example:465',
        from: 'votelab <no-reply@votelab.local>',
      },
    })
    expect(loadConfig({ NODE_ENV: 'production' }).auth).toMatchObject({
      mail: { kind: 'mailbox', served: false },
    })
    expect(loadConfig({ NODE_ENV: 'production', DEV_MAILBOX: 'on' }).auth).toMatchObject({
      mail: { kind: 'mailbox', served: true },
    })
    expect(() => loadConfig({ SMTP_URL: 'https://mail.example' })).toThrow(/SMTP_URL/)
    expect(() => loadConfig({ SMTP_URL: 'smtp://mail.example', DEV_MAILBOX: 'on' })).toThrow(
      /DEV_MAILBOX/,
    )
  })

  it('switches to Postgres and Cognito when configured', () => {
    const issuer = 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123'
    const config = loadConfig({
      DATABASE_URL: 'postgres://u:p@db:5432/votelab',
      DATABASE_SSL: 'verify-full',
      AUTH_ISSUER: issuer,
      AUTH_CLIENT_IDS: 'abc123, def456',
    })
    expect(config.database).toMatchObject({ kind: 'postgres', ssl: 'verify-full', poolMax: 10 })
    expect(config.auth).toEqual({
      mode: 'external',
      issuer,
      jwksUrl: `${issuer}/.well-known/jwks.json`,
      userInfoUrl: `${issuer}/oauth2/userInfo`,
      clientIds: ['abc123', 'def456'],
    })
  })

  it('counts Cognito groups in the named pool, and refuses what is no pool id', () => {
    const external = {
      AUTH_ISSUER: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123',
      AUTH_CLIENT_IDS: 'abc',
    }
    expect(loadConfig({ ...external, AUTH_USER_POOL_ID: 'eu-west-1_AbC123' }).auth).toMatchObject({
      userPoolId: 'eu-west-1_AbC123',
    })
    expect(() => loadConfig({ ...external, AUTH_USER_POOL_ID: 'my pool' })).toThrow(
      /AUTH_USER_POOL_ID/,
    )
  })

  it('takes the database password from its own variable, as ECS injects it', () => {
    const config = loadConfig({
      DATABASE_URL: 'postgres://votelab@db.example:5432/votelab',
      DATABASE_PASSWORD: 'p@ss/w:rd?',
    })
    expect(config.database.kind === 'postgres' && new URL(config.database.url)).toMatchObject({
      username: 'votelab',
      password: encodeURIComponent('p@ss/w:rd?'),
      host: 'db.example:5432',
    })
  })

  it('treats empty variables as unset', () => {
    expect(loadConfig({ DATABASE_URL: '', AUTH_ISSUER: '', PORT: '' }).database.kind).toBe('pglite')
  })

  it('names every bad setting at once', () => {
    try {
      loadConfig({ PORT: '99999', DATABASE_URL: 'mysql://x', LOG_LEVEL: 'loud' })
      expect.unreachable()
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError)
      const issues = (error as ConfigError).issues.join('\n')
      expect(issues).toMatch(/PORT/)
      expect(issues).toMatch(/DATABASE_URL/)
      expect(issues).toMatch(/LOG_LEVEL/)
    }
  })

  it('needs client ids with an external issuer, and a database URL for TLS settings', () => {
    expect(() => loadConfig({ AUTH_ISSUER: 'https://issuer.example' })).toThrow(/AUTH_CLIENT_IDS/)
    expect(() => loadConfig({ DATABASE_SSL: 'require' })).toThrow(/DATABASE_SSL/)
  })
})
