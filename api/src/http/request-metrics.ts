import type { Meter } from '@opentelemetry/api'
import {
  ATTR_ERROR_TYPE,
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_HTTP_ROUTE,
  METRIC_HTTP_SERVER_REQUEST_DURATION,
} from '@opentelemetry/semantic-conventions'
import { createMiddleware } from 'hono/factory'
import { routePath } from 'hono/route'
import type { AppEnv } from './env.ts'
import { responseStatus } from './response-status.ts'

/** OpenTelemetry's advice for HTTP durations, in seconds. */
const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10]
const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'])

/**
 * Rate, errors and duration per route (OpenTelemetry's `http.server.request.duration`): one
 * histogram whose count is the rate, whose `http.response.status_code` gives the errors. The
 * route is the template (`/api/polls/:pollId/votes`), never the path: ids would make a series
 * per poll. Unknown methods are `_OTHER`, as the conventions say.
 */
export function requestMetrics(meter: Meter | undefined) {
  if (!meter) return createMiddleware<AppEnv>((_c, next) => next())
  const duration = meter.createHistogram(METRIC_HTTP_SERVER_REQUEST_DURATION, {
    description: 'Duration of HTTP server requests',
    unit: 's',
    advice: { explicitBucketBoundaries: BUCKETS },
  })
  return createMiddleware<AppEnv>(async (c, next) => {
    const started = performance.now()
    await next()
    const status = responseStatus(c)
    duration.record((performance.now() - started) / 1000, {
      [ATTR_HTTP_REQUEST_METHOD]: METHODS.has(c.req.method) ? c.req.method : '_OTHER',
      [ATTR_HTTP_ROUTE]: routePath(c) || 'unmatched',
      [ATTR_HTTP_RESPONSE_STATUS_CODE]: status,
      ...(status >= 500 ? { [ATTR_ERROR_TYPE]: String(status) } : {}),
    })
  })
}
