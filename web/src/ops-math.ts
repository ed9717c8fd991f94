/**
 * A quantile from histogram buckets as OpenTelemetry counts them (one count per bucket, the last
 * for values above the top boundary), interpolated linearly inside the bucket, as Prometheus's
 * `histogram_quantile` does. Undefined without observations; the top boundary when the quantile
 * falls above it (a lower bound, then).
 */
export function histogramQuantile(
  q: number,
  boundaries: readonly number[],
  counts: readonly number[],
): number | undefined {
  const total = counts.reduce((sum, count) => sum + count, 0)
  if (total === 0) return undefined
  const rank = q * total
  let below = 0
  for (let i = 0; i < counts.length; i++) {
    const count = counts[i] ?? 0
    if (below + count >= rank && count > 0) {
      const upper = boundaries[i]
      if (upper === undefined) return boundaries.at(-1)
      const lower = i === 0 ? 0 : (boundaries[i - 1] ?? 0)
      return lower + (upper - lower) * ((rank - below) / count)
    }
    below += count
  }
  return boundaries.at(-1)
}

/** Per-bucket differences between two cumulative snapshots (the observations in between). */
export function bucketDeltas(before: readonly number[], after: readonly number[]): number[] {
  return after.map((count, i) => Math.max(0, count - (before[i] ?? 0)))
}
