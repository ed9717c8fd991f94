import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { METRIC_CATALOGUE } from '@votelab/api/observability/catalogue'
import { beforeAll, describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { DEFAULT_COLLECTOR_IMAGE } from '../src/config.ts'
import { CLOUDWATCH_METRICS, COLLECTOR_OTLP_PORT, VOTE_ROUTE } from '../src/telemetry.ts'
import { ROOT, runStack, type StackRun } from './harness.ts'
import { containersOf } from './invariants.ts'

/**
 * Issue 19 in AWS: the API's metrics and traces through the AWS Distro for OpenTelemetry
 * collector beside it, to CloudWatch and X-Ray, and the objectives as alarms. No collector runs
 * here: what is checked is what it is given — its configuration against the API's catalogue of
 * metrics (which a test holds the running API to: api/test/metrics.test.ts), and every alarm and
 * chart against what that configuration makes into CloudWatch metrics.
 */

interface CollectorConfig {
  receivers: { otlp: { protocols: { http: { endpoint: string } } } }
  exporters: {
    awsemf: {
      namespace: string
      log_group_name: string
      dimension_rollup_option: string
      metric_declarations: {
        dimensions: string[][]
        metric_name_selectors: string[]
        label_matchers?: { label_names: string[]; regex: string }[]
      }[]
      metric_descriptors: { metric_name: string; unit: string }[]
    }
    awsxray: { region: string }
  }
  service: { pipelines: Record<string, { receivers: string[]; exporters: string[] }> }
}

let stack: StackRun
beforeAll(async () => {
  stack = await runStack('dev')
})

const environmentOf = (container: { environment: { name: string; value: string }[] }) =>
  Object.fromEntries(container.environment.map(({ name, value }) => [name, value]))
const collectorConfig = () =>
  parse(
    String(environmentOf(containersOf(stack).collector ?? { environment: [] }).AOT_CONFIG_CONTENT),
  ) as CollectorConfig
const namespace = 'votelab/dev'

/** Every CloudWatch metric the stack's alarms and dashboard read from the API's namespace. */
function metricsRead(
  run: StackRun,
): { where: string; metric: string; dimensions: Record<string, string> }[] {
  const read: { where: string; metric: string; dimensions: Record<string, string> }[] = []
  for (const alarm of run.ofType('aws:cloudwatch/metricAlarm:MetricAlarm')) {
    const inputs = alarm.inputs as {
      namespace?: string
      metricName?: string
      dimensions?: Record<string, string>
      metricQueries?: {
        metric?: { namespace: string; metricName: string; dimensions?: Record<string, string> }
      }[]
    }
    if (inputs.namespace === namespace && inputs.metricName) {
      read.push({
        where: alarm.name,
        metric: inputs.metricName,
        dimensions: inputs.dimensions ?? {},
      })
    }
    for (const query of inputs.metricQueries ?? []) {
      if (query.metric?.namespace === namespace) {
        read.push({
          where: alarm.name,
          metric: query.metric.metricName,
          dimensions: query.metric.dimensions ?? {},
        })
      }
    }
  }
  const body = JSON.parse(
    String(run.one('aws:cloudwatch/dashboard:Dashboard').inputs.dashboardBody),
  ) as {
    widgets: { properties: { title: string; metrics?: unknown[][] } }[]
  }
  for (const widget of body.widgets) {
    for (const line of widget.properties.metrics ?? []) {
      if (line[0] !== namespace) continue
      const [, metric, ...rest] = line as [string, string, ...unknown[]]
      const pairs = rest.filter((part): part is string => typeof part === 'string')
      const dimensions: Record<string, string> = {}
      for (let i = 0; i < pairs.length; i += 2) dimensions[pairs[i] ?? ''] = pairs[i + 1] ?? ''
      read.push({ where: widget.properties.title, metric, dimensions })
    }
  }
  return read
}

describe('telemetry in AWS (votelab:telemetry cloudwatch, the default)', () => {
  it('runs the collector beside the API: not essential, read-only, loopback only, logging where the API does', () => {
    const { api, collector } = containersOf(stack)
    expect(collector).toMatchObject({
      image: DEFAULT_COLLECTOR_IMAGE,
      essential: false,
      readonlyRootFilesystem: true,
      healthCheck: { command: ['CMD', '/healthcheck'] },
      logConfiguration: {
        logDriver: 'awslogs',
        options: {
          'awslogs-group': String(stack.outputs.logGroup),
          'awslogs-stream-prefix': 'collector',
        },
      },
    })
    // No port mapping: the receiver is for the task's own containers.
    expect((collector as unknown as { portMappings?: unknown }).portMappings).toBeUndefined()
    expect(collectorConfig().receivers.otlp.protocols.http.endpoint).toBe(
      `127.0.0.1:${String(COLLECTOR_OTLP_PORT)}`,
    )
    // Started first and stopped last, so the API's final flush has somewhere to go.
    expect(api.dependsOn).toEqual([{ containerName: 'collector', condition: 'START' }])
  })

  it('tells the API to push deltas and exponential histograms to it, and to trace a sample it alone picks', () => {
    expect(environmentOf(containersOf(stack).api)).toMatchObject({
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${String(COLLECTOR_OTLP_PORT)}`,
      OTEL_METRIC_EXPORT_INTERVAL: '60000',
      OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE: 'delta',
      OTEL_EXPORTER_OTLP_METRICS_DEFAULT_HISTOGRAM_AGGREGATION:
        'base2_exponential_bucket_histogram',
      OTEL_TRACES_SAMPLER_ARG: '0.05',
      OTEL_PROPAGATORS: 'none',
    })
  })

  it('sends traces to X-Ray and metrics to CloudWatch, into the one log group the task may write', () => {
    const config = collectorConfig()
    expect(config.service.pipelines).toMatchObject({
      traces: { receivers: ['otlp'], exporters: ['awsxray'] },
      metrics: { receivers: ['otlp'], exporters: ['awsemf'] },
    })
    const group = stack.one('aws:cloudwatch/logGroup:LogGroup', '-metrics')
    expect(config.exporters.awsemf).toMatchObject({
      namespace,
      log_group_name: group.state.name,
      dimension_rollup_option: 'NoDimensionRollup',
    })
    expect(group.inputs.retentionInDays).toBeGreaterThan(0)
    expect(stack.outputs.metricsLogGroup).toBe(group.state.name)
  })

  it('makes CloudWatch metrics only of catalogued metrics, by attributes they carry, never an id', () => {
    const catalogue = new Map<string, { unit: string; attributes: readonly string[] }>(
      Object.values(METRIC_CATALOGUE).map((entry) => [entry.name, entry]),
    )
    const { metric_declarations: declarations, metric_descriptors: descriptors } =
      collectorConfig().exporters.awsemf
    expect(declarations).toHaveLength(CLOUDWATCH_METRICS.length)
    for (const declaration of declarations) {
      const matched = [...catalogue.keys()].filter((name) =>
        declaration.metric_name_selectors.some((selector) => new RegExp(selector).test(name)),
      )
      expect(matched, declaration.metric_name_selectors.join()).toHaveLength(1)
      const attributes = catalogue.get(matched[0] ?? '')?.attributes ?? []
      for (const set of declaration.dimensions) {
        for (const dimension of set) expect(attributes).toContain(dimension)
        expect(set).not.toContain('http.response.status_code')
      }
    }
    // Units CloudWatch knows: seconds, or counts for OpenTelemetry's `{things}`.
    for (const { metric_name: name, unit } of descriptors) {
      expect(unit).toBe(catalogue.get(name)?.unit === 's' ? 'Seconds' : 'Count')
    }
  })

  it('alarms and charts only on metrics the collector makes, with exactly its dimension sets', () => {
    const declared = collectorConfig().exporters.awsemf.metric_declarations
    const read = metricsRead(stack)
    expect(read.length).toBeGreaterThan(20)
    for (const { where, metric, dimensions } of read) {
      const declaration = declared.find((d) =>
        d.metric_name_selectors.some((selector) => new RegExp(selector).test(metric)),
      )
      expect(declaration, `${where}: ${metric}`).toBeDefined()
      expect(Object.keys(dimensions).sort(), `${where}: ${metric}`).toEqual(
        [...(declaration?.dimensions[0] ?? [])].sort(),
      )
      for (const matcher of declaration?.label_matchers ?? []) {
        const value = matcher.label_names.map((label) => dimensions[label]).join(';')
        expect(value, `${where}: ${metric}`).toMatch(new RegExp(matcher.regex))
      }
    }
    expect(
      read.some(
        ({ metric, dimensions }) =>
          metric === METRIC_CATALOGUE.httpRequestDuration.name &&
          dimensions['http.route'] === VOTE_ROUTE,
      ),
    ).toBe(true)
  })

  it('alarms on the objectives as Prometheus does: two-window error-budget burns, p99, shedding, delivery', () => {
    const rules = readFileSync(join(ROOT, 'scripts/prometheus/rules.yml'), 'utf8')
    const alarm = (suffix: string) =>
      stack.one('aws:cloudwatch/metricAlarm:MetricAlarm', suffix).inputs
    // The same burn factors over the same windows as the Prometheus alerts, as percentages.
    for (const [suffix, factor, period] of [
      ['vote-errors-fast-1h', 14.4, 3600],
      ['vote-errors-fast-5m', 14.4, 300],
      ['vote-errors-slow-6h', 6, 21600],
      ['vote-errors-slow-30m', 6, 1800],
    ] as const) {
      expect(rules).toContain(`(${String(factor)} * 0.001)`)
      const inputs = alarm(suffix) as {
        threshold: number
        metricQueries: { metric?: { period: number } }[]
      }
      expect(inputs.threshold).toBeCloseTo(factor * 0.1)
      for (const query of inputs.metricQueries)
        if (query.metric) expect(query.metric.period).toBe(period)
    }
    const composites = stack.ofType('aws:cloudwatch/compositeAlarm:CompositeAlarm')
    const rule = (suffix: string) =>
      String(composites.find((c) => c.name.endsWith(suffix))?.inputs.alarmRule)
    expect(rule('fast-burn')).toBe(
      `ALARM("${String(stack.one('aws:cloudwatch/metricAlarm:MetricAlarm', 'fast-1h').state.name)}") AND ALARM("${String(stack.one('aws:cloudwatch/metricAlarm:MetricAlarm', 'fast-5m').state.name)}")`,
    )
    expect(rule('slow-burn')).toMatch(/^ALARM\(".*slow-6h.*"\) AND ALARM\(".*slow-30m.*"\)$/)
    expect(rules).toContain('votelab:vote_latency_seconds:p99_5m > 0.25')
    expect(alarm('vote-p99')).toMatchObject({ extendedStatistic: 'p99', threshold: 0.25 })
    expect(rules).toContain('votelab:results_broadcast_seconds:p99_5m > 0.75')
    expect(alarm('results-delivery')).toMatchObject({ extendedStatistic: 'p99', threshold: 0.75 })
    expect(alarm('votes-shed')).toMatchObject({
      threshold: 0,
      comparisonOperator: 'GreaterThanThreshold',
    })
  })
})

describe('votelab:telemetry off', () => {
  let off: StackRun
  beforeAll(async () => {
    off = await runStack('dev', { 'votelab:telemetry': 'off' })
  }, 120_000)

  it('runs the API alone, with nothing to write metrics or traces and no alarms on them', () => {
    expect(Object.keys(containersOf(off))).toEqual(['api'])
    const env = environmentOf(containersOf(off).api)
    expect(Object.keys(env).filter((name) => name.startsWith('OTEL_'))).toEqual([])
    expect(
      off
        .ofType('aws:cloudwatch/logGroup:LogGroup')
        .some((group) => group.name.endsWith('-metrics')),
    ).toBe(false)
    const taskPolicy = JSON.parse(
      String(off.one('aws:iam/policy:Policy', '-task-policy').inputs.policy),
    ) as {
      Statement: { Action: string }[]
    }
    expect(taskPolicy.Statement.map((statement) => statement.Action)).toEqual([
      'cognito-idp:ListUsersInGroup',
    ])
    expect(off.ofType('aws:cloudwatch/metricAlarm:MetricAlarm')).toHaveLength(5)
    expect(off.ofType('aws:cloudwatch/compositeAlarm:CompositeAlarm')).toHaveLength(0)
    expect(metricsRead(off)).toEqual([])
    expect(off.outputs.traces).toBeUndefined()
  })
})
