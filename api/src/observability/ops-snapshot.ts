import { DataPointType, type ResourceMetrics } from '@opentelemetry/sdk-metrics'
import { z } from '@hono/zod-openapi'

const VOTE_ROUTE = '/api/polls/:pollId/votes'

export const OpsSnapshotSchema = z
  .object({
    at: z.iso.datetime(),
    votes: z.record(z.string(), z.number()).openapi({
      description: 'Votes handed to the ballot box since the process started, by outcome',
    }),
    voteLatency: z
      .object({ boundaries: z.array(z.number()), counts: z.array(z.number()) })
      .openapi({
        description:
          'Vote requests’ durations (s), cumulative per bucket: the page takes p99 from the difference of two snapshots',
      }),
    requests: z.object({ total: z.number(), serverErrors: z.number() }),
    queueDepth: z.number(),
    watchers: z.number(),
    batches: z.object({ count: z.number(), votes: z.number() }),
    signIns: z.record(z.string(), z.number()),
  })
  .openapi('OpsSnapshot')
export type OpsSnapshot = z.infer<typeof OpsSnapshotSchema>

/**
 * This process's metrics as the operations page draws them: cumulative counts (the page turns
 * two snapshots into rates), the vote route's histogram, and the gauges as they are now.
 */
export function opsSnapshot(metrics: ResourceMetrics, at = new Date()): OpsSnapshot {
  const snapshot: OpsSnapshot = {
    at: at.toISOString(),
    votes: {},
    voteLatency: { boundaries: [], counts: [] },
    requests: { total: 0, serverErrors: 0 },
    queueDepth: 0,
    watchers: 0,
    batches: { count: 0, votes: 0 },
    signIns: {},
  }
  for (const scope of metrics.scopeMetrics) {
    for (const metric of scope.metrics) {
      const name = metric.descriptor.name
      if (metric.dataPointType === DataPointType.HISTOGRAM) {
        for (const point of metric.dataPoints) {
          if (name === 'http.server.request.duration') {
            const status = Number(point.attributes['http.response.status_code'])
            snapshot.requests.total += point.value.count
            if (status >= 500) snapshot.requests.serverErrors += point.value.count
            if (point.attributes['http.route'] === VOTE_ROUTE) {
              const latency = snapshot.voteLatency
              latency.boundaries = point.value.buckets.boundaries
              latency.counts = point.value.buckets.counts.map(
                (count, i) => count + (latency.counts[i] ?? 0),
              )
            }
          } else if (name === 'votelab.vote.batch.size') {
            snapshot.batches.count += point.value.count
            snapshot.batches.votes += point.value.sum ?? 0
          }
        }
        continue
      }
      for (const point of metric.dataPoints) {
        const value = typeof point.value === 'number' ? point.value : 0
        if (name === 'votelab.votes') {
          const outcome = String(point.attributes['votelab.vote.outcome'])
          snapshot.votes[outcome] = (snapshot.votes[outcome] ?? 0) + value
        } else if (name === 'votelab.sign_in.attempts') {
          const outcome = String(point.attributes['votelab.sign_in.outcome'])
          snapshot.signIns[outcome] = (snapshot.signIns[outcome] ?? 0) + value
        } else if (name === 'votelab.vote.queue.depth') snapshot.queueDepth = value
        else if (name === 'votelab.results.watchers') snapshot.watchers = value
      }
    }
  }
  return snapshot
}
