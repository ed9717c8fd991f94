import { Hono } from 'hono'
import type { DatabaseHandle } from '../db/client.ts'
import type { AppEnv } from './env.ts'
import { errorBody } from './errors.ts'

const READY_TIMEOUT_MS = 2_000

/** `/healthz`: the process is alive (never touches the database). `/readyz`: it can serve. */
export function healthRoutes(database: DatabaseHandle, isShuttingDown: () => boolean) {
  return new Hono<AppEnv>()
    .get('/healthz', (c) => c.json({ status: 'ok' }))
    .get('/readyz', async (c) => {
      if (isShuttingDown()) {
        return c.json(errorBody('shutting_down', 'This instance is shutting down'), 503)
      }
      try {
        await database.ping(READY_TIMEOUT_MS)
        return c.json({ status: 'ready', database: 'ok' })
      } catch (error) {
        c.var.logger.warn({ err: error, requestId: c.var.requestId }, 'readiness check failed')
        c.header('Retry-After', '2')
        return c.json(errorBody('database_unavailable', 'The database does not answer'), 503)
      }
    })
}
