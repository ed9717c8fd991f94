import {
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  context,
  trace,
  type Tracer,
} from '@opentelemetry/api'
import type { HttpBindings } from '@hono/node-server'
import {
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_HTTP_ROUTE,
  ATTR_URL_PATH,
} from '@opentelemetry/semantic-conventions'
import { createMiddleware } from 'hono/factory'
import { routePath } from 'hono/route'
import { incomingContext } from '../observability/tracing.ts'
import type { AppEnv } from './env.ts'
import { responseStatus } from './response-status.ts'

/**
 * A server span per request, continuing the caller's trace when it sends `traceparent` (W3C
 * Trace Context). Everything the request does runs inside it — the vote batch links back to it,
 * and every log line written meanwhile carries its trace and span ids (logger.ts). Named by the
 * route template once routing is done: `POST /api/polls/:pollId/votes`. Where callers are the
 * public (AWS), their `traceparent` is ignored: every trace starts here and the sampler alone
 * decides, so nobody can make us record (and pay for) theirs.
 */
export function requestTracing(
  tracer: Tracer | undefined,
  options: { continueCallerTraces: boolean },
) {
  if (!tracer) return createMiddleware<AppEnv>((_c, next) => next())
  return createMiddleware<AppEnv>(async (c, next) => {
    // The load balancer's health checks, every few seconds per task, would drown the traces.
    if (c.req.path === '/healthz' || c.req.path === '/readyz') return next()
    // Node's own headers when there are (building the Web Request's costs more than the span).
    const incoming = (c.env as Partial<HttpBindings> | undefined)?.incoming
    const header = (name: string) => {
      const value = incoming ? incoming.headers[name] : c.req.header(name)
      return Array.isArray(value) ? value[0] : value
    }
    const parent = options.continueCallerTraces ? incomingContext(header) : ROOT_CONTEXT
    const span = tracer.startSpan(
      c.req.method,
      {
        kind: SpanKind.SERVER,
        attributes: { [ATTR_HTTP_REQUEST_METHOD]: c.req.method, [ATTR_URL_PATH]: c.req.path },
      },
      parent,
    )
    try {
      await context.with(trace.setSpan(parent, span), next)
    } finally {
      const status = responseStatus(c)
      const route = routePath(c)
      if (route) {
        span.updateName(`${c.req.method} ${route}`)
        span.setAttribute(ATTR_HTTP_ROUTE, route)
      }
      span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, status)
      if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR })
      span.end()
    }
  })
}
