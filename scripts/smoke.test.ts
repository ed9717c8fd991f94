import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestContext, type TestContext } from '@votelab/api/testing'

const SMOKE = fileURLToPath(new URL('./smoke.ts', import.meta.url))

/** Runs `pnpm smoke` as the deploy workflow does: a real process against real HTTP. */
function smoke(
  ...args: string[]
): Promise<{ code: number | null; output: string; summary: string }> {
  const summaryFile = join(mkdtempSync(join(tmpdir(), 'votelab-smoke-')), 'summary.md')
  writeFileSync(summaryFile, '')
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [SMOKE, ...args], {
      env: { ...process.env, GITHUB_STEP_SUMMARY: summaryFile },
    })
    let output = ''
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()))
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()))
    child.on('exit', (code) =>
      resolve({ code, output, summary: readFileSync(summaryFile, 'utf8') }),
    )
  })
}

describe('pnpm smoke (the check after a deploy)', () => {
  let ctx: TestContext
  let site: string

  beforeAll(async () => {
    const web = mkdtempSync(join(tmpdir(), 'votelab-web-'))
    writeFileSync(join(web, 'index.html'), '<!doctype html><main id="main"></main>')
    ctx = await createTestContext({ WEB_DIST_DIR: web })
    site = (await ctx.listen()).url
  })
  afterAll(async () => {
    await ctx.close()
  })

  it('passes against a working site and writes the job summary', async () => {
    const result = await smoke(site, '--timeout-seconds', '10', '--interval-seconds', '1')
    expect(result.output).toContain('ok   API health')
    expect(result.output).toContain('ok   open polls')
    expect(result.code).toBe(0)
    expect(result.summary).toContain(`votelab is up: ${site}`)
    expect(result.summary).toContain(`| open polls | ${site}/api/polls | ok |`)
  })

  it('fails, after retrying, when the site does not answer', async () => {
    const result = await smoke(
      'http://127.0.0.1:9',
      '--timeout-seconds',
      '2',
      '--interval-seconds',
      '1',
    )
    expect(result.code).toBe(1)
    expect(result.output).toMatch(
      /round 1: waiting for API health, web page, page config, open polls/,
    )
    expect(result.summary).toContain('failed its smoke test')
  })

  it('fails when the API answers but the page is missing', async () => {
    const bare = await createTestContext({ WEB_DIST_DIR: '/nonexistent' })
    const url = (await bare.listen()).url
    try {
      const result = await smoke(url, '--timeout-seconds', '1', '--interval-seconds', '1')
      expect(result.code).toBe(1)
      expect(result.output).toContain('ok   API health')
      expect(result.output).toMatch(/FAIL web page/)
    } finally {
      await bare.close()
    }
  })

  it('refuses a missing or malformed URL', async () => {
    expect((await smoke()).code).toBe(2)
    expect((await smoke('example.com')).code).toBe(2)
  })
})
