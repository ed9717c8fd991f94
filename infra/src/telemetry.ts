import * as pulumi from '@pulumi/pulumi'
import type * as awsx from '@pulumi/awsx'
import { METRIC_CATALOGUE } from '@votelab/api/observability/catalogue'

/**
 * The API's metrics and traces in AWS (decision 018): the API pushes OTLP to a collector beside
 * it in the task — the AWS Distro for OpenTelemetry — which writes metrics to CloudWatch as
 * embedded-metric-format log events and traces to X-Ray. Everything here is data the Service and
 * the Observability components read; nothing is created in this file.
 */

/** The collector's OTLP/HTTP receiver: loopback, shared by the containers of one task only. */
export const COLLECTOR_OTLP_PORT = 4318
/** What the collector may use of the task's memory (a soft reservation; Go is told the same). */
export const COLLECTOR_MEMORY_MIB = 128
/** Go's soft limit for the collector's heap, under its memory (the rest is the binary and stacks). */
export const COLLECTOR_GO_MEMORY_LIMIT = `${String(COLLECTOR_MEMORY_MIB - 28)}MiB`
/** Seconds between metric pushes: CloudWatch's standard resolution. */
export const METRIC_PERIOD_SECONDS = 60

const { votes, voteShed, httpRequestDuration } = METRIC_CATALOGUE

/** The vote route, as the API names it in `http.route`. */
export const VOTE_ROUTE = '/api/polls/:pollId/votes'

/**
 * Which of the API's metrics become CloudWatch metrics, with which dimensions. Each metric and
 * dimension set costs $0.30 a month (first 10,000 metrics of the account: see infra/README.md),
 * so this picks: outcomes and reasons, the vote route's latency, the batch, the queue, watchers,
 * sign-ins, the pool. Nothing here may carry a poll, voter or path: a metric each.
 */
export const CLOUDWATCH_METRICS: readonly { metric: string; dimensions: readonly string[] }[] = [
  { metric: votes.name, dimensions: ['votelab.vote.outcome'] },
  { metric: voteShed.name, dimensions: ['votelab.shed.reason'] },
  { metric: httpRequestDuration.name, dimensions: ['http.route', 'http.request.method'] },
  ...[
    METRIC_CATALOGUE.voteBatchSize,
    METRIC_CATALOGUE.voteBatchDuration,
    METRIC_CATALOGUE.voteQueueDepth,
    METRIC_CATALOGUE.resultsWatchers,
    METRIC_CATALOGUE.resultsBroadcastDuration,
    METRIC_CATALOGUE.dbPendingRequests,
    METRIC_CATALOGUE.listenReconnects,
    METRIC_CATALOGUE.sealDuration,
    METRIC_CATALOGUE.sealedBallots,
  ].map((entry) => ({ metric: entry.name, dimensions: [] })),
  { metric: METRIC_CATALOGUE.signInAttempts.name, dimensions: ['votelab.sign_in.outcome'] },
  { metric: METRIC_CATALOGUE.dbConnections.name, dimensions: ['db.client.connection.state'] },
]

const escapeRegex = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

/** CloudWatch's unit for an OpenTelemetry one: seconds stay seconds, `{thing}` counts. */
const cloudWatchUnit = (unit: string) => (unit === 's' ? 'Seconds' : 'Count')

/** Where the collector runs beside the API: an ECS task, or a Kubernetes pod (native sidecar). */
export type CollectorHost = 'ecs' | 'kubernetes'

/**
 * How the collector learns where it runs. ECS: its task metadata endpoint (the `ecs` detector)
 * and EMF's `{TaskId}`. Kubernetes: the pod's name, namespace and node, which the Deployment
 * passes in through the downward API (`OTEL_RESOURCE_ATTRIBUTES`, read by the `env` detector);
 * the log stream is the pod's name, which Kubernetes writes into the configuration itself
 * (`$(POD_NAME)` in an env value), because EMF has no placeholder for a pod's name.
 */
const WHERE: Record<CollectorHost, { detectors: string[]; logStreamName: string }> = {
  ecs: { detectors: ['env', 'ecs'], logStreamName: '{TaskId}' },
  kubernetes: { detectors: ['env'], logStreamName: '$(POD_NAME)' },
}

/**
 * The collector's configuration (YAML; this JSON is YAML too), handed over in
 * `AOT_CONFIG_CONTENT`. Receives OTLP/HTTP on loopback only; metrics → CloudWatch through the
 * EMF exporter into `logGroupName` (the only log group the task or pod role may write), traces →
 * X-Ray. The same on ECS and Kubernetes but for how it names where it runs (`WHERE`).
 */
export function collectorConfig(args: {
  namespace: string
  logGroupName: string
  region: string
  host: CollectorHost
}): string {
  const catalogue = Object.values(METRIC_CATALOGUE)
  const where = WHERE[args.host]
  const config = {
    extensions: { health_check: { endpoint: '127.0.0.1:13133' } },
    receivers: {
      otlp: { protocols: { http: { endpoint: `127.0.0.1:${String(COLLECTOR_OTLP_PORT)}` } } },
    },
    processors: {
      // Where the API runs (task or pod) on every span, for X-Ray; not on metrics.
      resourcedetection: { detectors: where.detectors, timeout: '2s', override: false },
      batch: { timeout: '5s' },
    },
    exporters: {
      awsxray: { region: args.region },
      awsemf: {
        region: args.region,
        namespace: args.namespace,
        log_group_name: args.logGroupName,
        log_stream_name: where.logStreamName,
        // Exactly the dimension sets below: no automatic roll-ups, each of which is a metric.
        dimension_rollup_option: 'NoDimensionRollup',
        resource_to_telemetry_conversion: { enabled: false },
        metric_declarations: CLOUDWATCH_METRICS.map(({ metric, dimensions }) => ({
          dimensions: [dimensions],
          metric_name_selectors: [`^${escapeRegex(metric)}$`],
          // The vote route only: every route would be a metric each.
          ...(metric === httpRequestDuration.name
            ? {
                label_matchers: [
                  { label_names: ['http.route'], regex: `^${escapeRegex(VOTE_ROUTE)}$` },
                ],
              }
            : {}),
        })),
        metric_descriptors: catalogue.map((entry) => ({
          metric_name: entry.name,
          unit: cloudWatchUnit(entry.unit),
          overwrite: true,
        })),
      },
    },
    service: {
      extensions: ['health_check'],
      pipelines: {
        traces: {
          receivers: ['otlp'],
          processors: ['resourcedetection', 'batch'],
          exporters: ['awsxray'],
        },
        metrics: { receivers: ['otlp'], processors: ['batch'], exporters: ['awsemf'] },
      },
    },
  }
  return JSON.stringify(config, null, 2)
}

/**
 * What the API is told so that its telemetry suits CloudWatch and X-Ray: push to the collector
 * beside it every minute, as deltas with exponential histograms (CloudWatch's percentiles come
 * only from those); record `sampleRatio` of the traces, whatever a caller's `traceparent` asks.
 */
export function apiTelemetryEnvironment(sampleRatio: number): Record<string, string> {
  return {
    OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${String(COLLECTOR_OTLP_PORT)}`,
    OTEL_METRIC_EXPORT_INTERVAL: String(METRIC_PERIOD_SECONDS * 1000),
    OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE: 'delta',
    OTEL_EXPORTER_OTLP_METRICS_DEFAULT_HISTOGRAM_AGGREGATION: 'base2_exponential_bucket_histogram',
    OTEL_TRACES_SAMPLER_ARG: String(sampleRatio),
    OTEL_PROPAGATORS: 'none',
  }
}

/**
 * The collector as a sidecar: not essential (losing telemetry must not stop votes), read-only
 * root, its own logs into the API's log group, healthy when its health_check extension says so.
 */
export function collectorContainer(args: {
  image: string
  config: pulumi.Input<string>
  logGroupName: pulumi.Input<string>
  region: pulumi.Input<string>
}): awsx.types.input.ecs.TaskDefinitionContainerDefinitionArgs {
  return {
    name: 'collector',
    image: args.image,
    essential: false,
    readonlyRootFilesystem: true,
    memoryReservation: COLLECTOR_MEMORY_MIB,
    environment: [
      { name: 'AOT_CONFIG_CONTENT', value: args.config },
      // Go's collector keeps its heap under its reservation instead of growing into the API's.
      { name: 'GOMEMLIMIT', value: COLLECTOR_GO_MEMORY_LIMIT },
    ],
    // The ADOT image ships this probe of the health_check extension.
    healthCheck: {
      // ECS wants the Docker form: CMD, then the program and its arguments.
      command: ['CMD', '/healthcheck'],
      interval: 30,
      timeout: 5,
      retries: 3,
      startPeriod: 10,
    },
    logConfiguration: {
      logDriver: 'awslogs',
      options: {
        'awslogs-group': args.logGroupName,
        'awslogs-region': args.region,
        'awslogs-stream-prefix': 'collector',
      },
    },
  }
}

/** The task role's share: EMF events into one log group, trace segments to X-Ray. */
export function collectorStatements(metricsLogGroupArn: pulumi.Input<string>) {
  return [
    {
      // The group exists (the stack creates it, with retention): no CreateLogGroup.
      Effect: 'Allow' as const,
      Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
      Resource: pulumi.interpolate`${metricsLogGroupArn}:*`,
    },
    // X-Ray has no resource to scope PutTraceSegments to.
    { Effect: 'Allow' as const, Action: 'xray:PutTraceSegments', Resource: '*' },
  ]
}
