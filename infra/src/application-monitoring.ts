import * as aws from '@pulumi/aws'
import * as pulumi from '@pulumi/pulumi'
import {
  FAILED_VOTE_OUTCOMES,
  METRIC_CATALOGUE,
  SHED_REASONS,
  SIGN_IN_OUTCOMES,
  VOTE_OUTCOMES,
} from '@votelab/api/observability/catalogue'
import { METRIC_PERIOD_SECONDS, VOTE_ROUTE } from './telemetry.ts'

/**
 * The service objectives (docs/operations.md#service-objectives) as CloudWatch alarms over the
 * API's own metrics, mirroring the Prometheus rules a laptop runs (scripts/prometheus/rules.yml),
 * and the dashboard widgets that show them. The metrics arrive through the collector in each
 * task (telemetry.ts), with exactly the dimensions declared there.
 */

const { votes, voteShed, httpRequestDuration } = METRIC_CATALOGUE
/** 99.9 % of valid votes acknowledged over 30 days: an error budget of 0.1 %. */
export const VOTE_ERROR_BUDGET = 0.001
/** The vote request's p99 objective, in seconds. */
export const VOTE_P99_SECONDS = 0.25
/** Broadcast p99 beyond which watchers, after coalescing, wait over a second. */
export const BROADCAST_P99_SECONDS = 0.75

const voteRoute = { 'http.route': VOTE_ROUTE, 'http.request.method': 'POST' }

/**
 * The failed share of votes over one period, in percent: failed outcomes over all outcomes.
 * CloudWatch's periods are clock-aligned buckets, not Prometheus's sliding ranges: a one-hour
 * window here is the last full clock hour.
 */
function voteErrorPercent(
  namespace: string,
  period: number,
): aws.types.input.cloudwatch.MetricAlarmMetricQuery[] {
  const outcome = (value: string) => ({
    id: `v_${value}`,
    metric: {
      namespace,
      metricName: votes.name,
      dimensions: { 'votelab.vote.outcome': value },
      period,
      stat: 'Sum',
    },
  })
  const failed = FAILED_VOTE_OUTCOMES.map((value) => `FILL(v_${value}, 0)`).join(' + ')
  return [
    ...VOTE_OUTCOMES.map(outcome),
    { id: 'total', expression: 'SUM(FILL(METRICS("v_"), 0))' },
    {
      id: 'failed_percent',
      label: 'Failed votes %',
      returnData: true,
      expression: `100 * (${failed}) / IF(total > 0, total, 1)`,
    },
  ]
}

/**
 * Alarms on the objectives. The error budget burns are composite alarms of two windows each, as
 * in the SRE workbook: 14.4× the budget over an hour and five minutes (2 % of the month's budget
 * in an hour: page), 6× over six hours and thirty minutes (5 % in six hours: ticket). Only the
 * composites notify; their parts are there to be combined.
 */
export function applicationAlarms(
  name: string,
  namespace: string,
  notify: { alarmActions: pulumi.Input<string>[]; okActions: pulumi.Input<string>[] },
  parent: pulumi.Resource,
): {
  metricAlarms: aws.cloudwatch.MetricAlarm[]
  compositeAlarms: aws.cloudwatch.CompositeAlarm[]
} {
  const metricAlarm = (id: string, args: aws.cloudwatch.MetricAlarmArgs) =>
    new aws.cloudwatch.MetricAlarm(
      `${name}-${id}`,
      { treatMissingData: 'notBreaching', ...args },
      { parent },
    )
  const burnWindow = (id: string, burn: number, periodSeconds: number, window: string) =>
    metricAlarm(id, {
      alarmDescription: `Part of a burn-rate alarm: over ${window}, more than ${String(burn)}× the error budget (${String(100 * burn * VOTE_ERROR_BUDGET)} %) of votes failed`,
      comparisonOperator: 'GreaterThanThreshold',
      threshold: 100 * burn * VOTE_ERROR_BUDGET,
      evaluationPeriods: 1,
      metricQueries: voteErrorPercent(namespace, periodSeconds),
    })

  const fastLong = burnWindow('vote-errors-fast-1h', 14.4, 3600, 'an hour')
  const fastShort = burnWindow('vote-errors-fast-5m', 14.4, 300, 'five minutes')
  const slowLong = burnWindow('vote-errors-slow-6h', 6, 6 * 3600, 'six hours')
  const slowShort = burnWindow('vote-errors-slow-30m', 6, 1800, 'thirty minutes')
  const composite = (id: string, description: string, parts: aws.cloudwatch.MetricAlarm[]) =>
    new aws.cloudwatch.CompositeAlarm(
      `${name}-${id}`,
      {
        alarmName: `${name}-${id}`,
        alarmDescription: description,
        alarmRule: pulumi
          .all(parts.map((part) => part.name))
          .apply((names) => names.map((alarm) => `ALARM("${alarm}")`).join(' AND ')),
        ...notify,
      },
      { parent },
    )
  const compositeAlarms = [
    composite(
      'vote-error-budget-fast-burn',
      'Votes are failing fast enough to spend 2 % of the month’s error budget in an hour (page)',
      [fastLong, fastShort],
    ),
    composite(
      'vote-error-budget-slow-burn',
      'Votes are failing fast enough to spend 5 % of the month’s error budget in six hours',
      [slowLong, slowShort],
    ),
  ]

  const metricAlarms = [
    fastLong,
    fastShort,
    slowLong,
    slowShort,
    metricAlarm('vote-p99', {
      alarmDescription: `Vote p99 above ${String(VOTE_P99_SECONDS * 1000)} ms for 10 minutes, as the API measures it`,
      namespace,
      metricName: httpRequestDuration.name,
      dimensions: voteRoute,
      extendedStatistic: 'p99',
      period: METRIC_PERIOD_SECONDS,
      evaluationPeriods: 10,
      datapointsToAlarm: 10,
      comparisonOperator: 'GreaterThanThreshold',
      threshold: VOTE_P99_SECONDS,
      ...notify,
    }),
    metricAlarm('votes-shed', {
      alarmDescription:
        'The API has refused votes with 503 (shed) every minute for 5 minutes: add capacity (docs/operations.md)',
      comparisonOperator: 'GreaterThanThreshold',
      threshold: 0,
      evaluationPeriods: 5,
      datapointsToAlarm: 5,
      metricQueries: [
        ...SHED_REASONS.map((reason) => ({
          id: `shed_${reason}`,
          metric: {
            namespace,
            metricName: voteShed.name,
            dimensions: { 'votelab.shed.reason': reason },
            period: METRIC_PERIOD_SECONDS,
            stat: 'Sum',
          },
        })),
        {
          id: 'shed',
          label: 'Votes shed',
          returnData: true,
          expression: 'SUM(FILL(METRICS("shed_"), 0))',
        },
      ],
      ...notify,
    }),
    metricAlarm('results-delivery', {
      alarmDescription: `Broadcasting results takes over ${String(BROADCAST_P99_SECONDS * 1000)} ms at p99 for 10 minutes: with coalescing, watchers wait over 1 s`,
      namespace,
      metricName: METRIC_CATALOGUE.resultsBroadcastDuration.name,
      extendedStatistic: 'p99',
      period: METRIC_PERIOD_SECONDS,
      evaluationPeriods: 10,
      datapointsToAlarm: 10,
      comparisonOperator: 'GreaterThanThreshold',
      threshold: BROADCAST_P99_SECONDS,
      ...notify,
    }),
  ]
  return { metricAlarms, compositeAlarms }
}

/** The dashboard's application rows, from the API's own metrics, starting at row `top`. */
export function applicationWidgets(
  namespace: string,
  region: pulumi.Input<string>,
  top: number,
): unknown[] {
  const metric = (
    name: string,
    dimensions: Record<string, string>,
    options: Record<string, unknown>,
  ) => [namespace, name, ...Object.entries(dimensions).flat(), options]
  const chart = (x: number, y: number, title: string, metrics: unknown[], extra = {}) => ({
    type: 'metric',
    x,
    y,
    width: 12,
    height: 6,
    properties: {
      title,
      region,
      metrics,
      period: METRIC_PERIOD_SECONDS,
      view: 'timeSeries',
      stacked: false,
      ...extra,
    },
  })
  const outcomes = VOTE_OUTCOMES.map((outcome) =>
    metric(votes.name, { 'votelab.vote.outcome': outcome }, { stat: 'Sum', label: outcome }),
  )
  return [
    chart(0, top, 'Votes by outcome (per minute)', outcomes, { stacked: true }),
    chart(
      12,
      top,
      'Vote latency, as the API measures it (s)',
      [
        metric(httpRequestDuration.name, voteRoute, { stat: 'p50', label: 'p50' }),
        metric(httpRequestDuration.name, voteRoute, { stat: 'p99', label: 'p99' }),
      ],
      {
        annotations: {
          horizontal: [{ label: 'objective (p99)', value: VOTE_P99_SECONDS }],
        },
      },
    ),
    chart(0, top + 6, 'Vote queue and group commits', [
      metric(
        METRIC_CATALOGUE.voteQueueDepth.name,
        {},
        { stat: 'Maximum', label: 'queue depth (max)' },
      ),
      ...SHED_REASONS.map((reason) =>
        metric(
          voteShed.name,
          { 'votelab.shed.reason': reason },
          { stat: 'Sum', label: `shed: ${reason}` },
        ),
      ),
      metric(
        METRIC_CATALOGUE.voteBatchSize.name,
        {},
        { stat: 'Average', label: 'votes per batch', yAxis: 'right' },
      ),
      metric(
        METRIC_CATALOGUE.voteBatchDuration.name,
        {},
        { stat: 'p99', label: 'batch commit p99 (s)', yAxis: 'right' },
      ),
    ]),
    chart(12, top + 6, 'Live results: watchers and broadcast p99 (s)', [
      // Each task reports its count once a period: their sum is everyone watching.
      metric(METRIC_CATALOGUE.resultsWatchers.name, {}, { stat: 'Sum', label: 'watchers' }),
      metric(
        METRIC_CATALOGUE.resultsBroadcastDuration.name,
        {},
        {
          stat: 'p99',
          label: 'broadcast p99',
          yAxis: 'right',
        },
      ),
      metric(
        METRIC_CATALOGUE.listenReconnects.name,
        {},
        { stat: 'Sum', label: 'LISTEN reconnects' },
      ),
    ]),
    chart(
      0,
      top + 12,
      'Sign-ins by outcome',
      SIGN_IN_OUTCOMES.map((outcome) =>
        metric(
          METRIC_CATALOGUE.signInAttempts.name,
          { 'votelab.sign_in.outcome': outcome },
          {
            stat: 'Sum',
            label: outcome,
          },
        ),
      ),
    ),
    chart(12, top + 12, 'Database pool (all tasks)', [
      ...['used', 'idle'].map((state) =>
        metric(
          METRIC_CATALOGUE.dbConnections.name,
          { 'db.client.connection.state': state },
          {
            stat: 'Sum',
            label: state,
          },
        ),
      ),
      metric(
        METRIC_CATALOGUE.dbPendingRequests.name,
        {},
        { stat: 'Sum', label: 'waiting for a connection' },
      ),
    ]),
    chart(0, top + 18, 'Seals: time to seal a closed poll (s), ballots chained', [
      metric(METRIC_CATALOGUE.sealDuration.name, {}, { stat: 'Maximum', label: 'longest seal' }),
      metric(
        METRIC_CATALOGUE.sealedBallots.name,
        {},
        {
          stat: 'Sum',
          label: 'ballots sealed',
          yAxis: 'right',
        },
      ),
    ]),
  ]
}
