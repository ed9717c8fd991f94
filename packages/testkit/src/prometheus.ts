import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { stringify } from 'yaml'
import { waitForHttp } from './wait.ts'

/** Debian's `prometheus` package (`.ci/run` installs it); undefined when it is not installed. */
export function prometheusBinary(): string | undefined {
  return ['/usr/bin/prometheus', '/usr/local/bin/prometheus'].find((path) => existsSync(path))
}

export function promtoolBinary(): string | undefined {
  return ['/usr/bin/promtool', '/usr/local/bin/promtool'].find((path) => existsSync(path))
}

export interface PrometheusOptions {
  /** Config, data and log live here. */
  dir: string
  port: number
  /** host:port of each API replica's METRICS_PORT. */
  targets: string[]
  /** Rule files to load (scripts/prometheus/rules.yml). */
  ruleFiles?: string[]
  /** Seconds between scrapes: 5 on a laptop, so a lab sees numbers move. */
  scrapeIntervalSeconds?: number
}

/** The config `startPrometheus` runs with: one job, the replicas as static targets. */
export function prometheusConfig(options: Omit<PrometheusOptions, 'dir' | 'port'>): string {
  const interval = `${String(options.scrapeIntervalSeconds ?? 5)}s`
  return stringify({
    global: { scrape_interval: interval, evaluation_interval: interval },
    ...(options.ruleFiles?.length ? { rule_files: options.ruleFiles } : {}),
    scrape_configs: [{ job_name: 'votelab-api', static_configs: [{ targets: options.targets }] }],
  })
}

export interface PrometheusServer {
  readonly url: string
  readonly configFile: string
  readonly process: ChildProcess
  stop(): Promise<void>
}

/** Prometheus on 127.0.0.1:port scraping the replicas; resolves once it answers /-/ready. */
export async function startPrometheus(options: PrometheusOptions): Promise<PrometheusServer> {
  const binary = prometheusBinary()
  if (!binary) throw new Error('prometheus is not installed (Debian: apt-get install prometheus)')
  // A fresh store each start: series of replicas from an earlier run would add up with today's.
  rmSync(join(options.dir, 'data'), { recursive: true, force: true })
  mkdirSync(join(options.dir, 'data'), { recursive: true })
  const configFile = join(options.dir, 'prometheus.yml')
  writeFileSync(configFile, prometheusConfig(options))
  const checked = spawnSync(promtoolBinary() ?? 'promtool', ['check', 'config', configFile], {
    encoding: 'utf8',
  })
  if (checked.status !== 0)
    throw new Error(`promtool check config:\n${checked.stdout}${checked.stderr}`)
  const url = `http://127.0.0.1:${String(options.port)}`
  const child = spawn(
    binary,
    [
      `--config.file=${configFile}`,
      `--storage.tsdb.path=${join(options.dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${String(options.port)}`,
      '--storage.tsdb.retention.time=1d',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  )
  let log = ''
  child.stderr.on('data', (chunk: Buffer) => {
    log = (log + chunk.toString()).slice(-10_000)
  })
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const ready = await waitForHttp(`${url}/-/ready`, {
    alive: () => child.exitCode === null,
    timeoutMs: 30_000,
    ok: true,
    everyMs: 200,
  })
  if (!ready) {
    child.kill('SIGKILL')
    throw new Error(`prometheus did not start:\n${log}`)
  }
  return {
    url,
    configFile,
    process: child,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM')
      await exited
    },
  }
}
