import { bodyLimit } from 'hono/body-limit'
import { createMiddleware } from 'hono/factory'
import type { AppEnv } from './env.ts'
import { ApiError } from './errors.ts'

/**
 * Refuses request bodies over `maxSize` bytes with 413. Hono's bodyLimit reaches for the Web
 * `Request.body` stream, which on Node forces a slow conversion of every request; the common
 * case — a Content-Length header — needs only the header, so only chunked bodies go through it.
 */
export function limitBody(maxSize: number) {
  const tooLarge = () =>
    new ApiError(413, 'payload_too_large', `Request body is larger than ${maxSize / 1024} KiB`)
  const chunked = bodyLimit({
    maxSize,
    onError: () => {
      throw tooLarge()
    },
  })
  return createMiddleware<AppEnv>(async (c, next) => {
    if (c.req.method === 'GET' || c.req.method === 'HEAD') return next()
    const length = c.req.header('content-length')
    if (length !== undefined && c.req.header('transfer-encoding') === undefined) {
      if (Number(length) > maxSize) throw tooLarge()
      return next()
    }
    return chunked(c, next)
  })
}
