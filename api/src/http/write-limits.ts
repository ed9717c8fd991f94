import { createMiddleware } from 'hono/factory'
import { clientAddress } from './client-address.ts'
import type { AppEnv } from './env.ts'
import { errorBody } from './errors.ts'
import { RateLimiter, type Limit } from './rate-limit.ts'

export interface WriteLimits {
  /** Writes per signed-in voter (votes, poll changes). Undefined: no limit. */
  perVoter: Limit | undefined
  /** Writes per client address, whoever is signed in. Undefined: no limit. */
  perAddress: Limit | undefined
  trustedProxyHops: number
}

/**
 * 429 with Retry-After for a voter or an address sending writes faster than any person can.
 * Reads are not limited here: they are cheap, and live results come over one stream.
 */
export function limitWrites(limits: WriteLimits) {
  const perVoter = limits.perVoter && new RateLimiter(limits.perVoter)
  const perAddress = limits.perAddress && new RateLimiter(limits.perAddress)
  return createMiddleware<AppEnv>(async (c, next) => {
    if (c.req.method === 'GET' || c.req.method === 'HEAD' || c.req.method === 'OPTIONS')
      return next()
    const voter = c.var.principal?.sub
    const address = perAddress ? clientAddress(c, limits.trustedProxyHops) : ''
    const wait = Math.max(
      perVoter && voter ? perVoter.retryAfter(voter) : 0,
      perAddress ? perAddress.retryAfter(address) : 0,
    )
    if (wait > 0) {
      c.header('Retry-After', String(wait))
      return c.json(errorBody('rate_limited', `Too many requests; retry in ${String(wait)} s`), 429)
    }
    if (perVoter && voter) perVoter.hit(voter)
    if (perAddress) perAddress.hit(address)
    return next()
  })
}
