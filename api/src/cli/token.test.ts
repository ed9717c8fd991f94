import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, describe, expect, it } from 'vitest'
import { loadLocalIssuer } from '../auth/local-issuer.ts'
import { createAccessTokenVerifier } from '../auth/verify.ts'

const run = promisify(execFile)
const tokenCli = fileURLToPath(new URL('./token.ts', import.meta.url))
const dataDir = mkdtempSync(join(tmpdir(), 'votelab-cli-'))
afterAll(() => rmSync(dataDir, { recursive: true, force: true }))

const cli = (args: string[], env: Record<string, string> = {}) =>
  run(process.execPath, [tokenCli, ...args], {
    env: {
      ...process.env,
      DATA_DIR: dataDir,
      PUBLIC_URL: 'http://localhost:3000',
      AUTH_ISSUER: '',
      ...env,
    },
  })

describe('pnpm run token', () => {
  it('mints tokens the API accepts, one per line, with numbered subs for --count', async () => {
    const { stdout } = await cli(['--sub', 'alice', '--count', '3', '--admin', '--ttl', '30m'])
    const tokens = stdout.trim().split('\n')
    expect(tokens).toHaveLength(3)
    // The key was created on first use, readable by its owner only.
    expect(statSync(join(dataDir, 'auth', 'local-issuer-key.json')).mode & 0o777).toBe(0o600)
    const issuer = await loadLocalIssuer('http://localhost:3000/auth', dataDir)
    const verify = createAccessTokenVerifier({
      issuer: issuer.issuer,
      clientIds: ['votelab-cli'],
      keys: issuer.keys,
    })
    const principals = await Promise.all(tokens.map((token) => verify(token)))
    expect(principals.map((p) => p.sub)).toEqual(['alice-1', 'alice-2', 'alice-3'])
    expect(principals.every((p) => p.groups.includes('admins'))).toBe(true)
    const exp = JSON.parse(Buffer.from(tokens[0]?.split('.')[1] ?? '', 'base64url').toString()) as {
      exp: number
      iat: number
    }
    expect(exp.exp - exp.iat).toBe(1800)
  })

  it('refuses when the API trusts an external issuer', async () => {
    await expect(
      cli(['--sub', 'alice'], {
        AUTH_ISSUER: 'https://cognito-idp.eu-west-1.amazonaws.com/x',
        AUTH_CLIENT_IDS: 'abc',
      }),
    ).rejects.toMatchObject({
      code: 1,
      stderr: expect.stringContaining('Refusing to mint tokens') as unknown,
    })
  })

  it('explains bad arguments', async () => {
    await expect(cli([])).rejects.toMatchObject({
      code: 1,
      stderr: expect.stringContaining('--sub is required') as unknown,
    })
    await expect(cli(['--sub', 'a', '--ttl', 'soon'])).rejects.toMatchObject({
      code: 1,
      stderr: expect.stringContaining('--ttl') as unknown,
    })
  })
})
