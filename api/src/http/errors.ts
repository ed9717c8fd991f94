import { z } from '@hono/zod-openapi'
import type { Context } from 'hono'
import { HTTPException } from 'hono/http-exception'
import type { ContentfulStatusCode } from 'hono/utils/http-status'
import type { AppEnv } from './env.ts'

/** The one error shape every client sees: `{ "error": { code, message, details? } }`. */
export interface ErrorBody {
  error: { code: string; message: string; details?: unknown }
}

/** One invalid field in a `validation_failed` error's `details`. */
export interface FieldProblem {
  path: string
  message: string
}

/** The same shape in the OpenAPI document. */
export const ErrorSchema = z
  .object({
    error: z.object({
      code: z.string().openapi({ example: 'already_voted' }),
      message: z.string(),
      details: z.unknown().optional(),
    }),
  })
  .openapi('Error')

export class ApiError extends Error {
  readonly status: ContentfulStatusCode
  readonly code: string
  readonly details: unknown
  readonly headers: Record<string, string>

  constructor(
    status: ContentfulStatusCode,
    code: string,
    message: string,
    options: { details?: unknown; headers?: Record<string, string> } = {},
  ) {
    super(message)
    this.name = 'ApiError'
    this.status = status
    this.code = code
    this.details = options.details
    this.headers = options.headers ?? {}
  }
}

export const notFound = (what: string) => new ApiError(404, 'not_found', `${what} not found`)

export function errorBody(code: string, message: string, details?: unknown): ErrorBody {
  return { error: details === undefined ? { code, message } : { code, message, details } }
}

const RETRY_AFTER_SECONDS = '2'

/**
 * Errors from pg and the network that mean "the database is not there right now" — a restart,
 * a failover, an exhausted pool — as opposed to a bug. Clients should retry these.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false
  const code = (error as { code?: unknown }).code
  if (typeof code === 'string') {
    // Connection refused/reset, admin shutdown, cannot connect now, crash shutdown, statement timeout.
    if (
      [
        'ECONNREFUSED',
        'ECONNRESET',
        'ETIMEDOUT',
        'EPIPE',
        '57P01',
        '57P02',
        '57P03',
        '57014',
        '08006',
        '08001',
        '08003',
      ].includes(code)
    ) {
      return true
    }
  }
  return /timeout exceeded when trying to connect|Connection terminated|database did not answer|Client has encountered a connection error/i.test(
    error.message,
  )
}

/**
 * Postgres refused a value (class 22, "data exception": a NUL byte, an integer or a date out of
 * range…). Validation should have caught it first; if it did not, the client still sent a value
 * the database cannot hold, and nothing was written.
 */
function isDataException(error: Error): boolean {
  const code = (error as { code?: unknown }).code
  return typeof code === 'string' && /^22[0-9A-Z]{3}$/.test(code)
}

export function handleError(error: Error, c: Context<AppEnv>): Response {
  if (error instanceof ApiError) {
    for (const [name, value] of Object.entries(error.headers)) c.header(name, value)
    return c.json(errorBody(error.code, error.message, error.details), error.status)
  }
  if (error instanceof HTTPException) {
    const status = error.status
    if (status === 413) {
      return c.json(errorBody('payload_too_large', 'Request body is larger than 16 KiB'), 413)
    }
    if (status === 415) {
      return c.json(
        errorBody('unsupported_media_type', 'Send the request body as application/json'),
        415,
      )
    }
    if (status === 400 && /JSON/i.test(error.message)) {
      return c.json(errorBody('invalid_json', 'Request body is not valid JSON'), 400)
    }
    const response = error.getResponse()
    return c.json(
      errorBody(`http_${status}`, error.message || response.statusText || 'Request failed'),
      status as ContentfulStatusCode,
    )
  }
  if (isDatabaseUnavailable(error)) {
    c.var.logger.warn({ err: error, requestId: c.var.requestId }, 'database unavailable')
    c.header('Retry-After', RETRY_AFTER_SECONDS)
    return c.json(
      errorBody('service_unavailable', 'The database is unavailable; retry shortly'),
      503,
    )
  }
  if (isDataException(error)) {
    c.var.logger.warn({ err: error, requestId: c.var.requestId }, 'database refused a value')
    return c.json(errorBody('invalid_input', 'A value in the request cannot be stored'), 400)
  }
  c.var.logger.error({ err: error, requestId: c.var.requestId }, 'unhandled error')
  return c.json(errorBody('internal_error', 'Something went wrong on our side'), 500)
}
