import { spawn, type ChildProcess } from 'node:child_process'
import { chmodSync, mkdirSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createPostgresServer, type PostgresServer } from './postgres.ts'
import { startNginx, type NginxProxy } from './nginx.ts'
import { prometheusBinary, startPrometheus, type PrometheusServer } from './prometheus.ts'
import { freePort } from './ports.ts'
import { waitForHttp } from './wait.ts'

const root = fileURLToPath(new URL('../../../', import.meta.url))

/** One API process (`node api/src/server.ts`) that can be stopped, killed and started again. */
export class Replica {
  readonly port: number
  readonly url: string
  private readonly env: Record<string, string>
  private child: ChildProcess | undefined
  private exited: Promise<number | null> = Promise.resolve(null)
  output = ''

  constructor(port: number, env: Record<string, string>) {
    this.port = port
    this.url = `http://127.0.0.1:${String(port)}`
    this.env = env
  }

  get running(): boolean {
    return (
      this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null
    )
  }

  get pid(): number | undefined {
    return this.child?.pid
  }

  async start(): Promise<void> {
    const child = spawn(process.execPath, [join(root, 'api/src/server.ts')], {
      env: { ...process.env, ...this.env, HOST: '127.0.0.1', PORT: String(this.port) },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    this.child = child
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)))
    const keep = (chunk: Buffer) => {
      this.output = (this.output + chunk.toString()).slice(-20_000)
    }
    child.stdout.on('data', keep)
    child.stderr.on('data', keep)
    const ready = await waitForHttp(`${this.url}/readyz`, {
      alive: () => this.running,
      timeoutMs: 30_000,
      ok: true,
    })
    if (!ready) throw new Error(`replica on :${String(this.port)} did not start:\n${this.output}`)
  }

  /** SIGTERM (an ECS deployment or scale-in) by default; resolves with the exit code. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
    if (this.running) this.child?.kill(signal)
    return this.exited
  }
}

export interface LocalStackOptions {
  replicas: number
  /** nginx's port: the one URL of the stack. */
  port: number
  /** An existing server to use instead of a Postgres of the stack's own. */
  databaseUrl?: string | undefined
  /** Where the stack keeps its files (a fresh temp dir by default). */
  dir?: string
  webDist?: string
  /** More environment for every replica. */
  env?: Record<string, string>
  /**
   * Prometheus on this port scraping every replica's METRICS_PORT, with these rule files — when
   * Debian's `prometheus` is installed (otherwise the stack runs without it).
   */
  prometheus?: { port: number; ruleFiles?: string[]; scrapeIntervalSeconds?: number } | undefined
}

export interface LocalStack {
  readonly url: string
  readonly databaseUrl: string
  readonly postgres: PostgresServer | undefined
  readonly replicas: Replica[]
  readonly nginx: NginxProxy
  /** Each replica's metrics address (host:port), which Prometheus scrapes at /metrics. */
  readonly metricsTargets: string[]
  readonly prometheus: PrometheusServer | undefined
  /** Shared by the replicas: the local issuer's signing key (tokens verify on every replica). */
  readonly dataDir: string
  stop(): Promise<void>
}

/**
 * The AWS topology on one machine: Postgres (RDS), N API replicas (Fargate tasks) and nginx
 * (CloudFront + the ALB) in front, one URL. Everything listens on 127.0.0.1.
 */
export async function startLocalStack(options: LocalStackOptions): Promise<LocalStack> {
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'votelab-stack-'))
  mkdirSync(dir, { recursive: true })
  // Postgres may run as its own user (when started by root): it must be able to reach its dir.
  chmodSync(dir, 0o755)
  let postgres: PostgresServer | undefined
  let databaseUrl = options.databaseUrl
  if (!databaseUrl) {
    mkdirSync(join(dir, 'postgres'), { recursive: true })
    postgres = createPostgresServer(join(dir, 'postgres'), await freePort())
    await postgres.start()
    databaseUrl = postgres.url
  }
  const url = `http://127.0.0.1:${String(options.port)}`
  const dataDir = join(dir, 'api-data')
  mkdirSync(dataDir, { recursive: true })
  const ports = await Promise.all(Array.from({ length: options.replicas }, () => freePort()))
  const metricsPorts = await Promise.all(ports.map(() => freePort()))
  const replicas = ports.map(
    (port, i) =>
      new Replica(port, {
        DATABASE_URL: databaseUrl,
        DATA_DIR: dataDir,
        PUBLIC_URL: url,
        TRUST_PROXY_HOPS: '1',
        LOG_LEVEL: 'warn',
        METRICS_PORT: String(metricsPorts[i]),
        ...options.env,
      }),
  )
  const metricsTargets = metricsPorts.map((port) => `127.0.0.1:${String(port)}`)
  // One at a time the first time: the first one migrates, creates the issuer key and secrets.
  for (const replica of replicas) await replica.start()
  const nginx = await startNginx({
    dir: join(dir, 'nginx'),
    port: options.port,
    upstreams: ports,
    webDist: options.webDist ?? join(root, 'web/dist'),
  })
  const prometheus =
    options.prometheus && prometheusBinary()
      ? await startPrometheus({
          dir: join(dir, 'prometheus'),
          port: options.prometheus.port,
          targets: metricsTargets,
          ruleFiles: options.prometheus.ruleFiles,
          scrapeIntervalSeconds: options.prometheus.scrapeIntervalSeconds,
        })
      : undefined
  return {
    url,
    databaseUrl,
    postgres,
    replicas,
    nginx,
    metricsTargets,
    prometheus,
    dataDir,
    async stop() {
      await prometheus?.stop()
      await nginx.stop()
      await Promise.all(replicas.map((replica) => replica.stop()))
      await postgres?.stop().catch(() => undefined)
    },
  }
}
