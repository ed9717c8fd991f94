import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, describe, expect, it } from 'vitest'
import { loadLocalIssuer } from '../auth/local-issuer.ts'
import { createAccessTokenVerifier } from '../auth/verify.ts'
import { loadConfig } from '../config.ts'
import { carriedSettings, devBanner } from './banner.ts'

const run = promisify(execFile)
const root = fileURLToPath(new URL('../../../', import.meta.url))
const dataDir = mkdtempSync(join(tmpdir(), 'votelab-banner-'))
afterAll(() => rmSync(dataDir, { recursive: true, force: true }))

describe('the pnpm dev banner', () => {
  it('follows PORT everywhere, and its token command works as printed (issue 18, bug 1)', async () => {
    const env = { PORT: '3300', DATA_DIR: dataDir }
    const config = loadConfig(env)
    const banner = devBanner(config, env)
    expect(banner).toContain('votelab is starting on http://localhost:3300')
    expect(banner).toContain('page with hot reload: http://localhost:5473')
    expect(banner).toContain('issuer     http://localhost:3300/auth (local)')
    const command = /TOKEN=\$\((.*)\)/.exec(banner)?.[1] ?? ''
    expect(command).toBe(`PORT=3300 DATA_DIR=${dataDir} pnpm run token --sub alice`)

    // Run it as a person would, in another shell of this folder that was given no settings.
    const shellEnv = Object.fromEntries(
      Object.entries(process.env).filter(
        ([name]) =>
          !['PORT', 'PUBLIC_URL', 'DATA_DIR', 'DATABASE_URL', 'AUTH_ISSUER'].includes(name),
      ),
    )
    const { stdout } = await run('bash', ['-c', command], {
      cwd: root,
      env: shellEnv,
    })
    const token = stdout.trim().split('\n').at(-1) ?? ''
    // The API on :3300 verifies it against its own issuer, the one the banner names.
    const issuer = await loadLocalIssuer('http://localhost:3300/auth', dataDir)
    const verify = createAccessTokenVerifier({
      issuer: issuer.issuer,
      clientIds: ['votelab-cli'],
      keys: issuer.keys,
    })
    expect((await verify(token)).sub).toBe('alice')
  })

  it('carries only the settings given, quoted for the shell', () => {
    expect(carriedSettings({})).toBe('')
    expect(carriedSettings({ PORT: '3000', HOME: '/root' })).toBe('PORT=3000 ')
    expect(
      carriedSettings({ PUBLIC_URL: 'http://localhost:3300', DATA_DIR: "/tmp/it's here" }),
    ).toBe(`PUBLIC_URL=http://localhost:3300 DATA_DIR='/tmp/it'\\''s here' `)
  })
})
