import type { VoteOutcome } from '../votes/ballot-box.ts'

/**
 * Every metric the API records, with its unit and the attributes it may carry: the contract
 * between the code that records them (a test scrapes a busy runtime and holds it to this list)
 * and what reads them by name — the operations page, Prometheus's rules, and in AWS the
 * collector's CloudWatch selection, the dashboard and the alarms (infra/src/telemetry.ts).
 */
export const METRIC_CATALOGUE = {
  httpRequestDuration: {
    name: 'http.server.request.duration',
    unit: 's',
    attributes: ['http.request.method', 'http.route', 'http.response.status_code'],
  },
  votes: { name: 'votelab.votes', unit: '{vote}', attributes: ['votelab.vote.outcome'] },
  voteShed: { name: 'votelab.vote.shed', unit: '{vote}', attributes: ['votelab.shed.reason'] },
  voteBatchSize: { name: 'votelab.vote.batch.size', unit: '{vote}', attributes: [] },
  voteBatchDuration: { name: 'votelab.vote.batch.duration', unit: 's', attributes: [] },
  voteQueueDepth: { name: 'votelab.vote.queue.depth', unit: '{vote}', attributes: [] },
  resultsWatchers: { name: 'votelab.results.watchers', unit: '{watcher}', attributes: [] },
  resultsBroadcastDuration: {
    name: 'votelab.results.broadcast.duration',
    unit: 's',
    attributes: [],
  },
  signInAttempts: {
    name: 'votelab.sign_in.attempts',
    unit: '{attempt}',
    attributes: ['votelab.sign_in.outcome'],
  },
  dbConnections: {
    name: 'db.client.connection.count',
    unit: '{connection}',
    attributes: ['db.client.connection.state'],
  },
  dbPendingRequests: {
    name: 'db.client.connection.pending_requests',
    unit: '{request}',
    attributes: [],
  },
  listenReconnects: { name: 'votelab.db.listen.reconnects', unit: '{reconnect}', attributes: [] },
  sealDuration: { name: 'votelab.poll.seal.duration', unit: 's', attributes: [] },
  sealedBallots: { name: 'votelab.poll.sealed.ballots', unit: '{ballot}', attributes: [] },
} as const satisfies Record<string, CataloguedMetric>

export interface CataloguedMetric {
  name: string
  /** UCUM, as OpenTelemetry writes it: `s`, or `{thing}` for a count of things. */
  unit: string
  attributes: readonly string[]
}

/** Every value `votelab.votes` carries in `votelab.vote.outcome` (dashboards list them). */
export const VOTE_OUTCOMES = [
  'cast',
  'already_voted',
  'poll_not_found',
  'poll_not_open',
  'option_not_found',
  'not_eligible',
  'overloaded',
  'failed',
] as const satisfies readonly RecordedOutcome[]

type RecordedOutcome = 'cast' | 'failed' | Extract<VoteOutcome, { ok: false }>['reason']
// A new outcome in the ballot box fails the type check here until it is listed above.
type Nothing<T extends never> = T
export type UnlistedOutcomes = Nothing<Exclude<RecordedOutcome, (typeof VOTE_OUTCOMES)[number]>>

/** Why the ballot box sheds a vote (`votelab.shed.reason` of `votelab.vote.shed`). */
export const SHED_REASONS = ['queue_full', 'waited_too_long'] as const
export type ShedReason = (typeof SHED_REASONS)[number]

/** How a password sign-in ended (`votelab.sign_in.outcome` of `votelab.sign_in.attempts`). */
export const SIGN_IN_OUTCOMES = ['success', 'failure', 'throttled', 'unconfirmed'] as const
export type SignInOutcome = (typeof SIGN_IN_OUTCOMES)[number]

/**
 * The `votelab.votes` outcomes that are the service failing a vote (shed, or the batch failed);
 * every other outcome is an answer — counted, or refused for the voter's or poll's reasons. The
 * objectives' error ratio is these over all votes (docs/operations.md, scripts/prometheus/rules.yml).
 */
export const FAILED_VOTE_OUTCOMES = [
  'overloaded',
  'failed',
] as const satisfies readonly (typeof VOTE_OUTCOMES)[number][]
