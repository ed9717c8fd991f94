import { createMiddleware } from 'hono/factory'
import type { AppEnv } from './env.ts'
import { ApiError } from './errors.ts'

/**
 * Reads answer within `ms` or get 503 with Retry-After, rather than holding a connection while
 * the database struggles. Live-result streams are meant to stay open, and writes are bounded by
 * the vote queue and statement timeouts instead: a timed-out write could still commit afterwards,
 * and "503, nothing counted" must stay true.
 */
export function timeReads(ms: number) {
  return createMiddleware<AppEnv>(async (c, next) => {
    if (c.req.method !== 'GET' || c.req.path.endsWith('/stream')) return next()
    let timer: NodeJS.Timeout | undefined
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        reject(
          new ApiError(503, 'timeout', `No answer within ${String(ms)} ms; retry`, {
            headers: { 'Retry-After': '1' },
          }),
        )
      }, ms)
    })
    try {
      await Promise.race([next(), deadline])
    } finally {
      clearTimeout(timer)
    }
  })
}
