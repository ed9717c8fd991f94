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
  /** A larger limit for the few routes that take files (a voter roll); undefined: `maxSize`. */
  maxSizeFor?: (method: string, path: string) => number | undefined
}

/**
 * Refuses request bodies over `maxSize` bytes with 413 before reading them. Hono's bodyLimit
 * reaches for the Web `Request.body` stream, which on Node forces a slow conversion of every
 * request; the common case — a Content-Length header — needs only the header, so only chunked
 * bodies go through it (it stops reading at the limit).
 */
export function limitBody({
  maxSize: defaultMaxSize,
  lengthRequired = () => false,
  maxSizeFor = () => undefined,
}: BodyLimitOptions) {
  // No `Connection: close`: closing with the body still arriving makes the kernel reset the
  // connection, and the client may never read the answer. Node discards the rest of the body
  // unbuffered instead, and the body deadline (connection-guards.ts) cuts one that keeps coming.
  const tooLarge = (maxSize: number) =>
    new ApiError(413, 'payload_too_large', `Request body is larger than ${maxSize / 1024} KiB`)
  const chunkedLimits = new Map<number, ReturnType<typeof bodyLimit>>()
  const chunkedLimit = (maxSize: number) => {
    let limit = chunkedLimits.get(maxSize)
    if (!limit) {
      limit = bodyLimit({
        maxSize,
        onError: () => {
          throw tooLarge(maxSize)
        },
      })
      chunkedLimits.set(maxSize, limit)
    }
    return limit
  }
  return createMiddleware<AppEnv>(async (c, next) => {
    const maxSize = maxSizeFor(c.req.method, c.req.path) ?? defaultMaxSize
    const chunked = chunkedLimit(maxSize)
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
      if (Number(length) > maxSize) throw tooLarge(maxSize)
      return next()
    }
    if (lengthRequired(c.req.path)) {
      throw new ApiError(411, 'length_required', 'Send a Content-Length with the request body')
    }
    return chunked(c, next)
  })
}
