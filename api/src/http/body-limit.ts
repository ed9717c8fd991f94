import { bodyLimit } from 'hono/body-limit'
import { createMiddleware } from 'hono/factory'
import type { AppEnv } from './env.ts'
import { ApiError } from './errors.ts'

export interface BodyLimitOptions {
  maxSize: number
  /**
   * Paths whose bodies are read by something other than Hono (the sign-in provider reads the
   * Node request itself): a chunked body there cannot be counted without consuming it, so it is
   * refused with 411; browsers and OAuth clients always say how long their forms are.
   */
  lengthRequired?: (path: string) => boolean
}

/**
 * Refuses request bodies over `maxSize` bytes with 413 before reading them. Hono's bodyLimit
 * reaches for the Web `Request.body` stream, which on Node forces a slow conversion of every
 * request; the common case — a Content-Length header — needs only the header, so only chunked
 * bodies go through it (it stops reading at the limit).
 */
export function limitBody({ maxSize, lengthRequired = () => false }: BodyLimitOptions) {
  // No `Connection: close`: closing with the body still arriving makes the kernel reset the
  // connection, and the client may never read the answer. Node discards the rest of the body
  // unbuffered instead, and the body deadline (connection-guards.ts) cuts one that keeps coming.
  const tooLarge = () =>
    new ApiError(413, 'payload_too_large', `Request body is larger than ${maxSize / 1024} KiB`)
  const chunked = bodyLimit({
    maxSize,
    onError: () => {
      throw tooLarge()
    },
  })
  return createMiddleware<AppEnv>(async (c, next) => {
    const length = c.req.header('content-length')
    const encoding = c.req.header('transfer-encoding')
    if (length === undefined && encoding === undefined) {
      // No body over HTTP/1.1; only `app.request()` can send one without saying how long.
      if (c.req.method === 'GET' || c.req.method === 'HEAD' || lengthRequired(c.req.path)) {
        return next()
      }
      return chunked(c, next)
    }
    if (length !== undefined && encoding === undefined) {
      if (Number(length) > maxSize) throw tooLarge()
      return next()
    }
    if (lengthRequired(c.req.path)) {
      throw new ApiError(411, 'length_required', 'Send a Content-Length with the request body')
    }
    return chunked(c, next)
  })
}
