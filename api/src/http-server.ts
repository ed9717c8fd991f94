import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { serve } from '@hono/node-server'
import type { Logger } from 'pino'
import type { Config } from './config.ts'
import { createRuntime, type Runtime, type RuntimeOptions } from './runtime.ts'

export interface RunningServer {
  readonly url: string
  readonly runtime: Runtime
  /** Graceful stop: refuse new connections, end streams, let requests finish, close the pool. */
  stop(): Promise<void>
}

export async function startServer(
  config: Config,
  logger: Logger,
  options: RuntimeOptions = {},
): Promise<RunningServer> {
  const runtime = await createRuntime(config, logger, options)
  const server = await new Promise<Server>((resolve, reject) => {
    const created = serve({ fetch: runtime.app.fetch, port: config.port, hostname: config.host }, () => {
      resolve(created as Server)
    }) as Server
    created.once('error', reject)
  })
  // Longer than an ALB's idle timeout (60 s), so the balancer, not us, closes idle connections.
  server.keepAliveTimeout = 65_000
  server.headersTimeout = 66_000
  server.requestTimeout = 30_000
  const { port } = server.address() as AddressInfo
  const url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`

  let stopping: Promise<void> | undefined
  const stop = () => {
    stopping ??= (async () => {
      runtime.beginShutdown()
      const closed = new Promise<void>((resolve) => server.close(() => resolve()))
      runtime.hub.close() // ends every SSE stream
      server.closeIdleConnections()
      const forced = setTimeout(() => {
        logger.warn('requests still running at the shutdown deadline; closing their connections')
        server.closeAllConnections()
      }, config.shutdownTimeoutMs)
      forced.unref()
      await closed
      clearTimeout(forced)
      await runtime.close()
    })()
    return stopping
  }
  return { url, runtime, stop }
}
