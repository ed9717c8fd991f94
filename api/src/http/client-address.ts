import type { Context } from 'hono'

/**
 * The caller's address. Behind proxies (nginx; CloudFront then the ALB in AWS), the socket's
 * peer is the last proxy and the client is in X-Forwarded-For, each proxy appending the address
 * it received from: with `trustedHops` proxies of our own, the client is that many entries from
 * the right. Entries further left were written by the client and are not trusted.
 */
export function clientAddress(c: Context, trustedHops: number): string {
  const env = c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined
  const peer = env?.incoming?.socket?.remoteAddress ?? 'unknown'
  if (trustedHops === 0) return peer
  const forwarded = (c.req.header('x-forwarded-for') ?? '')
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean)
  return forwarded[forwarded.length - trustedHops] ?? forwarded[0] ?? peer
}
