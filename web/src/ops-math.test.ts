import { describe, expect, it } from 'vitest'
import { bucketDeltas, histogramQuantile } from './ops-math.ts'

const boundaries = [0.01, 0.025, 0.05, 0.1]

describe('histogramQuantile', () => {
  it('interpolates inside the bucket the quantile falls in, as Prometheus does', () => {
    // 100 observations: 50 under 10 ms, 40 in 10–25 ms, 10 in 25–50 ms.
    expect(histogramQuantile(0.5, boundaries, [50, 40, 10, 0, 0])).toBeCloseTo(0.01)
    expect(histogramQuantile(0.9, boundaries, [50, 40, 10, 0, 0])).toBeCloseTo(0.025)
    expect(histogramQuantile(0.99, boundaries, [50, 40, 10, 0, 0])).toBeCloseTo(0.0475)
  })

  it('says the top boundary when the quantile lies above it, and nothing without data', () => {
    expect(histogramQuantile(0.99, boundaries, [0, 0, 0, 0, 5])).toBe(0.1)
    expect(histogramQuantile(0.99, boundaries, [0, 0, 0, 0, 0])).toBeUndefined()
  })
})

describe('bucketDeltas', () => {
  it('gives the observations between two cumulative snapshots, never negative', () => {
    expect(bucketDeltas([1, 2, 3], [4, 2, 5])).toEqual([3, 0, 2])
    // A restarted process starts again from zero: no negative counts.
    expect(bucketDeltas([9, 9], [1, 2])).toEqual([0, 0])
  })
})
