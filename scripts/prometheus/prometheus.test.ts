import { spawnSync } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { prometheusConfig, promtoolBinary } from '@votelab/testkit/prometheus'

// The service objectives' rules, by Prometheus's own tool: syntax, and alerts that fire (and stay
// quiet) on made-up series (rules.test.yml). CI installs Debian's `prometheus`; a laptop
// without it skips.
const HERE = fileURLToPath(new URL('.', import.meta.url))
const promtool = promtoolBinary()

describe.skipIf(!promtool && process.env.CI !== 'true')('the Prometheus rules and config', () => {
  const run = (...args: string[]) =>
    spawnSync(promtool ?? 'promtool', args, { cwd: HERE, encoding: 'utf8' })

  it('are valid rules', () => {
    const checked = run('check', 'rules', 'rules.yml')
    expect(checked.stdout + checked.stderr).toMatch(/SUCCESS: \d+ rules found/)
    expect(checked.status).toBe(0)
  })

  it('fire the burn-rate, latency, shedding and replica alerts when they should, and only then', () => {
    const tested = run('test', 'rules', 'rules.test.yml')
    expect(tested.stdout + tested.stderr).toContain('SUCCESS')
    expect(tested.status).toBe(0)
  })

  it('makes a config pnpm stack:local can run: both replicas scraped, the rules loaded', () => {
    const dir = mkdtempSync(join(tmpdir(), 'votelab-prometheus-'))
    const file = join(dir, 'prometheus.yml')
    writeFileSync(
      file,
      prometheusConfig({
        targets: ['127.0.0.1:9464', '127.0.0.1:9465'],
        ruleFiles: [join(HERE, 'rules.yml')],
      }),
    )
    const checked = run('check', 'config', file)
    expect(checked.stdout + checked.stderr).toContain('SUCCESS')
    expect(checked.status).toBe(0)
  })
})
