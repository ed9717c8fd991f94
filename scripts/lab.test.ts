import { spawnSync } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startApiProcess, type ApiProcess } from '@votelab/api/testing'
import { createScratchDatabase } from '@votelab/testkit/scratch-database'
import { freePort } from '@votelab/testkit/ports'
import { prometheusBinary } from '@votelab/testkit/prometheus'

/**
 * The lab's commands, run (issue 16): every ```sh lab block of docs/lab/NN-*.md, in order, as
 * one bash script per page, against an API started here with the demo polls. A command followed
 * by `# → text` must print that text. Pages marked `<!-- lab: needs postgres -->` run when
 * DATABASE_URL names a server (CI), each time on a scratch database of their own; those marked
 * `<!-- lab: needs prometheus -->` when Debian's `prometheus` is installed (CI installs it).
 */

const ROOT = fileURLToPath(new URL('../', import.meta.url))
const LAB = join(ROOT, 'docs/lab')
const pages = readdirSync(LAB).filter((name) => /^\d\d-.*\.md$/.test(name))

/** The page's runnable blocks as one script; `cmd   # → text` also checks the output. */
export function labScript(markdown: string): string {
  const blocks = [...markdown.matchAll(/```sh lab\n([\s\S]*?)```/g)].map((m) => m[1] ?? '')
  const lines = blocks.join('\n').split('\n')
  const checked = lines.map((line) => {
    const match = /^(.*?)\s+# → (.+)$/.exec(line)
    if (!match) return line
    const [, command = '', expected = ''] = match
    const quoted = `'${expected.replace(/'/g, `'\\''`)}'`
    return [
      `__out=$( { ${command} ; } 2>&1 )`,
      `printf '%s\\n' "$__out"`,
      `printf '%s' "$__out" | grep -qF -- ${quoted} || { echo "lab: expected ${quoted.replace(/"/g, '\\"')} from: line ${String(lines.indexOf(line) + 1)}" >&2; exit 1; }`,
    ].join('; ')
  })
  return ['set -euo pipefail', ...checked].join('\n')
}

let api: ApiProcess | undefined
let scratch: { url: string; drop: () => Promise<void> } | undefined

let env: Record<string, string>

beforeAll(async () => {
  const port = await freePort()
  const url = `http://127.0.0.1:${String(port)}`
  if (process.env.DATABASE_URL)
    scratch = await createScratchDatabase(process.env.DATABASE_URL, 'votelab_lab')
  env = {
    PORT: String(port),
    PUBLIC_URL: url,
    VOTELAB: url,
    DATA_DIR: mkdtempSync(join(tmpdir(), 'votelab-lab-')),
    DATABASE_URL: scratch?.url ?? '',
    // For the pages that start processes of their own beside this API: the stack (06), a
    // second API with its log in a file (08).
    STACK_PORT: String(await freePort()),
    LAB_PORT: String(await freePort()),
    LAB_METRICS_PORT: String(await freePort()),
    PROM_PORT: String(await freePort()),
  }
  // The demo polls first (PGlite allows one process at a time), then the API.
  const seeded = spawnSync(process.execPath, ['api/src/cli/seed.ts'], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    encoding: 'utf8',
  })
  if (seeded.status !== 0) throw new Error(`seed failed:\n${seeded.stderr}`)
  api = await startApiProcess(env)
}, 60_000)

afterAll(async () => {
  api?.child.kill('SIGTERM')
  await api?.exited
  await scratch?.drop()
})

describe('the lab (docs/lab)', () => {
  it('has runnable steps on most pages', () => {
    const runnable = pages.filter((page) => labScript(read(page)).includes('\n'))
    expect(runnable.length).toBeGreaterThanOrEqual(4)
  })

  it.each(pages)(
    '%s runs as written',
    (page) => {
      const markdown = read(page)
      if (markdown.includes('<!-- lab: needs postgres -->') && !scratch) return
      if (markdown.includes('<!-- lab: needs prometheus -->') && !prometheusBinary()) return
      const result = spawnSync('bash', ['-c', labScript(markdown)], {
        cwd: ROOT,
        env: { ...process.env, ...env },
        encoding: 'utf8',
        timeout: 80_000,
      })
      expect(result.status, `${result.stdout}\n${result.stderr}`).toBe(0)
    },
    90_000,
  )
})

function read(page: string) {
  return readFileSync(join(LAB, page), 'utf8')
}
