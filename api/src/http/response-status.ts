import type { HttpBindings } from '@hono/node-server'
import type { Context } from 'hono'

/**
 * The status a request was answered with, read after `next()`. Responses written straight to the
 * socket (the sign-in provider, live streams) carry their real status on the Node response;
 * Hono's own are sent only after the middleware returns. (Reading `c.res.headers` instead would
 * build a full Response per request: ~5 % of a vote's CPU.)
 */
export function responseStatus(c: Context): number {
  const outgoing = (c.env as Partial<HttpBindings> | undefined)?.outgoing
  return outgoing?.headersSent ? outgoing.statusCode : c.res.status
}
