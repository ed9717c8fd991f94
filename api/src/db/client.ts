import { readFileSync, mkdirSync } from 'node:fs'
import { PGlite } from '@electric-sql/pglite'
import { Kysely, PostgresDialect, sql, type CompiledQuery } from 'kysely'
import { PGliteDialect } from 'kysely-pglite-dialect'
import pg from 'pg'
import type { Logger } from 'pino'
import type { Config } from '../config.ts'
import type { Database, Db } from './database.ts'
import { amazonRdsCertificateAuthorities } from './amazon-rds-ca.ts'

export interface NotificationHandlers {
  onNotify: (payload: string) => void
  /** Notifications may have been missed (the listening connection was lost and is back). */
  onResync?: () => void
}

/** The database and the few things the app needs from it beyond queries. */
export interface DatabaseHandle {
  readonly db: Db
  readonly kind: 'pglite' | 'postgres'
  /** LISTEN on a channel; resolves to a function that stops listening. */
  listen(channel: string, handlers: NotificationHandlers): Promise<() => Promise<void>>
  /**
   * Runs a hot query as a named prepared statement, so the server parses it once per connection
   * (measured here: half the client CPU and a third of the latency of sending the text each time).
   * The name must always go with the same SQL text. PGlite, in-process, just runs it.
   */
  queryPrepared<Row>(name: string, query: CompiledQuery): Promise<Row[]>
  /** Rejects when the database does not answer `select 1` within the time. */
  ping(timeoutMs: number): Promise<void>
  /** The pool's connections now (Postgres; PGlite has one, in-process, and says nothing). */
  connections?(): { used: number; idle: number; pending: number }
  close(): Promise<void>
}

export async function openDatabase(
  config: Config['database'],
  logger: Logger,
): Promise<DatabaseHandle> {
  return config.kind === 'postgres' ? openPostgres(config, logger) : openPglite(config.dataDir)
}

/** Embedded Postgres (WASM): `memory://` for tests, a folder under `.data/` on a laptop. */
export async function openPglite(dataDir: string): Promise<DatabaseHandle> {
  if (!dataDir.startsWith('memory://')) mkdirSync(dataDir, { recursive: true })
  const client = await PGlite.create(dataDir)
  const db = new Kysely<Database>({ dialect: new PGliteDialect(client) })
  return {
    db,
    kind: 'pglite',
    async listen(channel, { onNotify }) {
      const unlisten = await client.listen(channel, onNotify)
      return unlisten
    },
    async queryPrepared<Row>(_name: string, query: CompiledQuery) {
      return (await client.query<Row>(query.sql, [...query.parameters])).rows
    },
    ping: (timeoutMs) => withTimeout(sql`select 1`.execute(db), timeoutMs),
    close: () => db.destroy(),
  }
}

type PostgresConfig = Extract<Config['database'], { kind: 'postgres' }>

function sslOptions(config: PostgresConfig): pg.ConnectionConfig['ssl'] {
  switch (config.ssl) {
    case 'disable':
      return false
    case 'require':
      return { rejectUnauthorized: false }
    case 'verify-full':
      // RDS: DATABASE_CA=amazon-rds (what AWS sets), or a bundle of your own in DATABASE_CA_FILE.
      return {
        rejectUnauthorized: true,
        ...(config.caFile
          ? { ca: readFileSync(config.caFile, 'utf8') }
          : config.ca === 'amazon-rds'
            ? { ca: amazonRdsCertificateAuthorities() }
            : {}),
      }
  }
}

export function openPostgres(config: PostgresConfig, logger: Logger): Promise<DatabaseHandle> {
  const connection: pg.ClientConfig = {
    connectionString: config.url,
    ssl: sslOptions(config),
    connectionTimeoutMillis: 3_000,
    statement_timeout: config.statementTimeoutMs,
    application_name: 'votelab-api',
    options: '-c plan_cache_mode=force_generic_plan',
  }
  const pool = new pg.Pool({ ...connection, max: config.poolMax, idleTimeoutMillis: 30_000 })
  // An idle client losing its server (a restart, a failover) must not crash the process.
  pool.on('error', (error) => {
    logger.warn({ err: error }, 'idle database connection lost')
  })
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) })
  const listeners = new Set<PostgresListener>()

  return Promise.resolve({
    db,
    kind: 'postgres',
    async listen(channel, handlers) {
      const listener = new PostgresListener(connection, channel, handlers, logger)
      listeners.add(listener)
      await listener.start()
      return async () => {
        listeners.delete(listener)
        await listener.stop()
      }
    },
    async queryPrepared<Row>(name: string, query: CompiledQuery) {
      const result = await pool.query<Row & pg.QueryResultRow>({
        name,
        text: query.sql,
        values: [...query.parameters],
      })
      return result.rows
    },
    ping: (timeoutMs) => withTimeout(sql`select 1`.execute(db), timeoutMs),
    connections: () => ({
      used: pool.totalCount - pool.idleCount,
      idle: pool.idleCount,
      pending: pool.waitingCount,
    }),
    async close() {
      await Promise.all([...listeners].map((listener) => listener.stop()))
      await db.destroy()
    },
  })
}

/**
 * One dedicated connection per process that LISTENs, and comes back after the database does:
 * reconnects with capped exponential backoff, then asks for a resync because notifications
 * sent while it was away are lost.
 */
class PostgresListener {
  private client: pg.Client | undefined
  private stopped = false
  private retryTimer: NodeJS.Timeout | undefined
  private attempt = 0
  private readonly connection: pg.ClientConfig
  private readonly channel: string
  private readonly handlers: NotificationHandlers
  private readonly logger: Logger

  constructor(
    connection: pg.ClientConfig,
    channel: string,
    handlers: NotificationHandlers,
    logger: Logger,
  ) {
    this.connection = connection
    this.channel = channel
    this.handlers = handlers
    this.logger = logger
  }

  /** Resolves once listening, or once the first attempt failed (retries continue in the background). */
  async start(): Promise<void> {
    await this.connect()
  }

  private async connect(): Promise<void> {
    if (this.stopped) return
    const client = new pg.Client({ ...this.connection, statement_timeout: 0 })
    client.on('notification', (message) => {
      if (message.channel === this.channel) this.handlers.onNotify(message.payload ?? '')
    })
    client.on('error', (error) => {
      this.logger.warn({ err: error, channel: this.channel }, 'listen connection error')
    })
    client.on('end', () => {
      if (this.client === client) {
        this.client = undefined
        this.scheduleReconnect()
      }
    })
    try {
      await client.connect()
      await client.query(`LISTEN ${pg.escapeIdentifier(this.channel)}`)
      if (this.stopped) {
        await client.end()
        return
      }
      const reconnected = this.attempt > 0
      this.client = client
      this.attempt = 0
      if (reconnected) {
        this.logger.info({ channel: this.channel }, 'listen connection restored')
        this.handlers.onResync?.()
      }
    } catch (error) {
      this.logger.warn({ err: error, channel: this.channel }, 'listen connection failed')
      client.removeAllListeners('end')
      await client.end().catch(() => undefined)
      this.scheduleReconnect()
    }
  }

  private scheduleReconnect(): void {
    if (this.stopped || this.retryTimer) return
    const delay = Math.min(100 * 2 ** this.attempt, 2_000)
    this.attempt += 1
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined
      void this.connect()
    }, delay)
  }

  async stop(): Promise<void> {
    this.stopped = true
    clearTimeout(this.retryTimer)
    const client = this.client
    this.client = undefined
    await client?.end().catch(() => undefined)
  }
}

function withTimeout(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(new Error(`database did not answer within ${ms} ms`))
    }, ms)
  })
  return Promise.race([promise, timeout])
    .then(() => undefined)
    .finally(() => {
      clearTimeout(timer)
    })
}
