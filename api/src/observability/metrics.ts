import { createServer, type Server } from 'node:http'
import { hostname } from 'node:os'
import type { Meter } from '@opentelemetry/api'
import {
  AggregationTemporalityPreference,
  OTLPMetricExporter,
} from '@opentelemetry/exporter-metrics-otlp-http'
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus'
import { resourceFromAttributes } from '@opentelemetry/resources'
import {
  AggregationType,
  InstrumentType,
  MeterProvider,
  MetricReader,
  PeriodicExportingMetricReader,
  type IMetricReader,
  type ResourceMetrics,
} from '@opentelemetry/sdk-metrics'
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions'

export interface MetricsOptions {
  /** Serve Prometheus text at http://host:port/metrics; 0 picks a free port; undefined: no server. */
  port?: number | undefined
  host?: string
  /** Push over OTLP/HTTP to this collector (`OTEL_EXPORTER_OTLP_ENDPOINT`), every `exportIntervalMs`. */
  otlpEndpoint?: string | undefined
  exportIntervalMs?: number
  /** `delta` for CloudWatch (through the collector); Prometheus-style `cumulative` otherwise. */
  otlpTemporality?: 'cumulative' | 'delta'
  /** `exponential` histograms let CloudWatch compute percentiles; the OTLP push only. */
  otlpHistograms?: 'explicit' | 'exponential'
  /** Tells replicas apart in Prometheus and CloudWatch (`service.instance.id`). */
  instanceId?: string
}

export interface Metrics {
  /** Where every instrument of this process is created. */
  meter: Meter
  /** The Prometheus scrape address, when served. */
  url: string | undefined
  /** Everything recorded so far, read in-process (the operations page: ops-snapshot.ts). */
  collect(): Promise<ResourceMetrics>
  close(): Promise<void>
}

/** A reader the process itself asks: what the admin's operations page shows. */
class InProcessReader extends MetricReader {
  protected onShutdown(): Promise<void> {
    return Promise.resolve()
  }
  protected onForceFlush(): Promise<void> {
    return Promise.resolve()
  }
}

/**
 * The process's metrics, with OpenTelemetry's SDK (decision 018): one MeterProvider, read by the
 * API itself for the admins' operations page, by Prometheus on a port of its own — never the
 * API's port, so neither CloudFront nor the load balancer can route to it — and pushed over OTLP
 * where a collector is configured. Recording costs about a microsecond a request
 * (`pnpm bench:metrics-overhead`), so it is always on.
 */
export async function startMetrics(options: MetricsOptions): Promise<Metrics> {
  const inProcess = new InProcessReader()
  const readers: IMetricReader[] = [inProcess]
  let prometheus: PrometheusExporter | undefined
  if (options.port !== undefined) {
    prometheus = new PrometheusExporter({ preventServerStart: true, withoutScopeInfo: true })
    readers.push(prometheus)
  }
  if (options.otlpEndpoint) {
    readers.push(
      new PeriodicExportingMetricReader({
        exporter: new OTLPMetricExporter({
          url: `${options.otlpEndpoint.replace(/\/$/, '')}/v1/metrics`,
          temporalityPreference:
            options.otlpTemporality === 'delta'
              ? AggregationTemporalityPreference.DELTA
              : AggregationTemporalityPreference.CUMULATIVE,
          ...(options.otlpHistograms === 'exponential'
            ? {
                aggregationPreference: (type: InstrumentType) =>
                  type === InstrumentType.HISTOGRAM
                    ? { type: AggregationType.EXPONENTIAL_HISTOGRAM }
                    : { type: AggregationType.DEFAULT },
              }
            : {}),
        }),
        exportIntervalMillis: options.exportIntervalMs ?? 60_000,
      }),
    )
  }
  const provider = new MeterProvider({
    resource: resourceFromAttributes({
      [ATTR_SERVICE_NAME]: 'votelab-api',
      [ATTR_SERVICE_VERSION]: process.env.npm_package_version ?? '0.0.0',
      'service.instance.id': options.instanceId ?? `${hostname()}:${String(process.pid)}`,
    }),
    readers,
  })

  let server: Server | undefined
  let url: string | undefined
  if (prometheus && options.port !== undefined) {
    const exporter = prometheus
    server = createServer((request, response) => {
      if (request.method === 'GET' && request.url?.split('?')[0] === '/metrics') {
        exporter.getMetricsRequestHandler(request, response)
        return
      }
      response.writeHead(404, { 'content-type': 'text/plain' }).end('Metrics are at /metrics\n')
    })
    const host = options.host ?? '127.0.0.1'
    await new Promise<void>((resolve, reject) => {
      server?.once('error', reject)
      server?.listen(options.port, host, resolve)
    })
    const address = server.address()
    const port = typeof address === 'object' && address ? address.port : options.port
    url = `http://${host.includes(':') ? `[${host}]` : host}:${String(port)}/metrics`
  }

  return {
    meter: provider.getMeter('votelab'),
    url,
    async collect() {
      return (await inProcess.collect()).resourceMetrics
    },
    async close() {
      await new Promise<void>((resolve) => {
        if (!server) resolve()
        else server.close(() => resolve())
      })
      await provider.shutdown()
    },
  }
}
