export interface Limit {
  /** Attempts allowed per window. */
  max: number
  windowMs: number
}

/**
 * Fixed-window counters in memory, per key and per process. With N replicas a key may get up to
 * N times the limit: these limits stop floods from one voter or address, they are not quotas.
 */
export class RateLimiter {
  private readonly hits = new Map<string, { count: number; resetAt: number }>()
  private readonly limit: Limit
  private nextSweep = 0

  constructor(limit: Limit) {
    this.limit = limit
  }

  /** Seconds to wait when `key` is over its limit, else 0. Does not count an attempt. */
  retryAfter(key: string): number {
    const entry = this.hits.get(key)
    if (!entry || entry.resetAt <= Date.now() || entry.count < this.limit.max) return 0
    return Math.max(1, Math.ceil((entry.resetAt - Date.now()) / 1000))
  }

  /** Attempts counted for `key` in its current window. */
  count(key: string): number {
    const entry = this.hits.get(key)
    return !entry || entry.resetAt <= Date.now() ? 0 : entry.count
  }

  hit(key: string): void {
    const now = Date.now()
    const entry = this.hits.get(key)
    if (!entry || entry.resetAt <= now) {
      this.hits.set(key, { count: 1, resetAt: now + this.limit.windowMs })
      // Expired entries go at most once per window: sweeping on every new key would cost a pass
      // over all of them per request when many voters are active at once.
      if (this.hits.size > 10_000 && now >= this.nextSweep) {
        this.sweep(now)
        this.nextSweep = now + this.limit.windowMs
      }
      return
    }
    entry.count += 1
  }

  reset(key: string): void {
    this.hits.delete(key)
  }

  private sweep(now: number): void {
    for (const [key, entry] of this.hits) if (entry.resetAt <= now) this.hits.delete(key)
  }
}
