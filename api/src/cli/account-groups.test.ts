import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const run = promisify(execFile)
const cliDir = fileURLToPath(new URL('./', import.meta.url))
const dataDir = mkdtempSync(join(tmpdir(), 'votelab-groups-cli-'))
afterAll(() => rmSync(dataDir, { recursive: true, force: true }))

// On the embedded database of a data directory of its own, as a learner's laptop runs it.
const env = { ...process.env, DATA_DIR: dataDir, DATABASE_URL: '', AUTH_ISSUER: '' }
interface CliFailure {
  code: number
  stdout: string
  stderr: string
}
const groupsCli = (...args: string[]) =>
  run(process.execPath, [join(cliDir, 'account-groups.ts'), ...args], { env }).then(
    ({ stdout }) => ({ code: 0, out: stdout.trim() }),
    (error: unknown) => {
      const { code, stdout, stderr } = error as CliFailure
      return { code, out: `${stdout}${stderr}`.trim() }
    },
  )

beforeAll(async () => {
  await run(process.execPath, [join(cliDir, 'seed.ts')], { env })
}, 60_000)

describe('pnpm account:groups', () => {
  it('adds and removes groups of a local account, case-insensitively by email', async () => {
    expect(
      await groupsCli('--email', 'Voter@Votelab.local', '--add', 'staff', '--add', 'lab'),
    ).toEqual({ code: 0, out: 'voter@votelab.local: lab, staff' })
    expect(await groupsCli('--email', 'voter@votelab.local', '--add', 'staff')).toEqual({
      code: 0,
      out: 'voter@votelab.local: lab, staff',
    })
    expect(await groupsCli('--email', 'voter@votelab.local', '--remove', 'lab')).toEqual({
      code: 0,
      out: 'voter@votelab.local: staff',
    })
    expect(await groupsCli('--email', 'admin@votelab.local')).toEqual({
      code: 0,
      out: 'admin@votelab.local: admins',
    })
  }, 60_000)

  it('says so for an unknown account (exit 1) and refuses bad input before touching anything (exit 2)', async () => {
    expect(await groupsCli('--email', 'nobody@example.com', '--add', 'staff')).toEqual({
      code: 1,
      out: 'No local account has the email nobody@example.com.',
    })
    const before = await groupsCli('--email', 'voter@votelab.local')
    for (const args of [
      ['--email', 'not-an-email', '--add', 'staff'],
      ['--email', 'voter@votelab.local', '--add', 'has space'],
      ['--email', 'voter@votelab.local', '--remove', 'x'.repeat(129)],
      ['--add', 'staff'],
      ['--email', 'voter@votelab.local', '--bogus'],
      // Hostile: a lone surrogate, an oversized address, an option injected as a value.
      ['--email', 'voter@votelab.local', '--add', 'staff\uD800'],
      ['--email', `${'a'.repeat(100_000)}@example.com`, '--add', 'staff'],
      ['--email', 'voter@votelab.local', '--add', '--remove'],
    ]) {
      const { code, out } = await groupsCli(...args)
      expect(code, args.join(' ')).toBe(2)
      expect(out).toContain('usage: pnpm account:groups')
    }
    // Nothing above changed the account.
    expect(await groupsCli('--email', 'voter@votelab.local')).toEqual(before)
  }, 60_000)
})
