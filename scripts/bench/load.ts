import { Pool } from 'undici'

export interface LoadRequest {
  method: 'POST' | 'GET'
  path: string
  headers: Record<string, string>
  body?: string
}

export interface LoadReport {
  /** Responses by status code. */
  statuses: Map<number, number>
  /** Latency of every response, milliseconds, sorted. */
  latencies: Float64Array
  errors: number
  elapsedSeconds: number
}

export function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN
}

/**
 * A closed-loop load generator: `connections` workers, each sending its next request as soon as
 * the last one is answered, until the time is up. Requests in flight at the deadline are awaited,
 * so every request sent has a known outcome — which is what lets the caller compare the number
 * of 201s with the tally exactly.
 */
export async function runLoad(
  origins: readonly string[],
  options: {
    connections: number
    durationSeconds: number
    nextRequest: (index: number) => LoadRequest
  },
): Promise<LoadReport> {
  // Connections are spread evenly over the origins (API replicas), like a balancer would.
  const pools = origins.map(
    (origin) =>
      new Pool(origin, {
        connections: Math.ceil(options.connections / origins.length),
        pipelining: 1,
      }),
  )
  const statuses = new Map<number, number>()
  const latencies: number[] = []
  let errors = 0
  let index = 0
  const started = performance.now()
  const deadline = started + options.durationSeconds * 1000

  async function worker(_: unknown, workerIndex: number): Promise<void> {
    const pool = pools[workerIndex % pools.length] as Pool
    while (performance.now() < deadline) {
      const request = options.nextRequest(index++)
      const sent = performance.now()
      try {
        const response = await pool.request({
          method: request.method,
          path: request.path,
          headers: request.headers,
          body: request.body,
        })
        await response.body.dump()
        latencies.push(performance.now() - sent)
        statuses.set(response.statusCode, (statuses.get(response.statusCode) ?? 0) + 1)
      } catch {
        errors += 1
      }
    }
  }

  await Promise.all(Array.from({ length: options.connections }, worker))
  const elapsedSeconds = (performance.now() - started) / 1000
  await Promise.all(pools.map((pool) => pool.close()))
  return { statuses, latencies: Float64Array.from(latencies).sort(), errors, elapsedSeconds }
}
