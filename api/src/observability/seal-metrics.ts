import type { Meter } from '@opentelemetry/api'
import type { SealObserver } from '../ballots/seal.ts'
import { METRIC_CATALOGUE } from './catalogue.ts'

/**
 * Sealing a closed poll rewrites every ballot of it in one transaction (ballots/seal.ts): its
 * duration grows with the poll, and the statement timeout (120 s) bounds it. These say how close
 * a big poll came, and how many ballots went into chains.
 */
export function sealMetrics(meter: Meter): SealObserver {
  const { sealDuration, sealedBallots } = METRIC_CATALOGUE
  const duration = meter.createHistogram(sealDuration.name, {
    description: 'Time to seal a closed poll: order, hash and rewrite its ballots, fix its tally',
    unit: sealDuration.unit,
    advice: { explicitBucketBoundaries: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120] },
  })
  const ballots = meter.createCounter(sealedBallots.name, {
    description: 'Ballots sealed into polls’ hash chains',
    unit: sealedBallots.unit,
  })
  return {
    sealed(count, seconds) {
      duration.record(seconds)
      ballots.add(count)
    },
  }
}
