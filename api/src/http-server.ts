import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { serve } from '@hono/node-server'
import type { Logger } from 'pino'
import type { Config } from './config.ts'
import { guardConnections } from './http/connection-guards.ts'
import { createRuntime, type Runtime, type RuntimeOptions } from './runtime.ts'

export interface HttpListener {
  readonly url: string
  /** Refuse new connections, end live streams, let running requests finish (up to the deadline). */
  close(): Promise<void>
}

/** Serves a runtime's app over HTTP on `config.host:config.port`. */
export async function listen(
  runtime: Runtime,
  config: Config,
  logger: Logger,
): Promise<HttpListener> {
  const server = await new Promise<Server>((resolve, reject) => {
    const created = serve(
      { fetch: runtime.app.fetch, port: config.port, hostname: config.host },
      () => {
        resolve(created)
      },
    ) as Server
    created.once('error', reject)
  })
  // Longer than an ALB's idle timeout (60 s), so the balancer, not us, closes idle connections.
  server.keepAliveTimeout = 65_000
  server.headersTimeout = 66_000
  server.requestTimeout = 30_000
  guardConnections(server, { bodyTimeoutMs: config.limits.bodyTimeoutMs, logger })
  const { port } = server.address() as AddressInfo
  const url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`

  let closing: Promise<void> | undefined
  const close = () => {
    closing ??= (async () => {
      runtime.beginShutdown()
      const closed = new Promise<void>((resolve) => server.close(() => resolve()))
      runtime.hub.close() // ends every SSE stream
      // Connections turn idle as their last request (or stream) ends: close them as they do.
      server.closeIdleConnections()
      const reaper = setInterval(() => server.closeIdleConnections(), 50)
      const forced = setTimeout(() => {
        logger.warn('requests still running at the shutdown deadline; closing their connections')
        server.closeAllConnections()
      }, config.shutdownTimeoutMs)
      forced.unref()
      await closed
      clearTimeout(forced)
      clearInterval(reaper)
    })()
    return closing
  }
  return { url, close }
}

export interface RunningServer {
  readonly url: string
  readonly runtime: Runtime
  /** Graceful stop: the listener first, then pending votes, the listen connection and the pool. */
  stop(): Promise<void>
}

export async function startServer(
  config: Config,
  logger: Logger,
  options: RuntimeOptions = {},
): Promise<RunningServer> {
  const runtime = await createRuntime(config, logger, options)
  const http = await listen(runtime, config, logger).catch(async (error: unknown) => {
    await runtime.close()
    throw error
  })
  return {
    url: http.url,
    runtime,
    async stop() {
      await http.close()
      await runtime.close()
    },
  }
}
