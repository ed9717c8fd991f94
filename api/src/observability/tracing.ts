import {
  context,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Context,
  type Span,
  type SpanContext,
  type Tracer,
} from '@opentelemetry/api'
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks'
import { W3CTraceContextPropagator } from '@opentelemetry/core'
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http'
import { resourceFromAttributes } from '@opentelemetry/resources'
import {
  BatchSpanProcessor,
  ConsoleSpanExporter,
  SimpleSpanProcessor,
  ParentBasedSampler,
  TraceIdRatioBasedSampler,
  TracerProvider,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace'
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions'

export interface TracingOptions {
  /** Export spans over OTLP/HTTP to this collector (`OTEL_EXPORTER_OTLP_ENDPOINT`). */
  otlpEndpoint?: string | undefined
  /** Share of new traces recorded (`OTEL_TRACES_SAMPLER_ARG`); a caller's `traceparent` decides for its own. */
  sampleRatio?: number
  /** Continue a caller's `traceparent` (`OTEL_PROPAGATORS=tracecontext`, the default). */
  continueCallerTraces?: boolean
  /** Print each span on stdout (`OTEL_TRACES_EXPORTER=console`). */
  console?: boolean
  /** Where spans go instead (tests: an in-memory exporter behind a simple processor). */
  processor?: SpanProcessor | undefined
}

export interface Tracing {
  /** Undefined when tracing is off: callers then skip the work of making spans at all. */
  tracer: Tracer | undefined
  /** False where callers must not choose the trace (and so what is sampled). */
  continueCallerTraces: boolean
  close(): Promise<void>
}

let contextReady = false

/**
 * Spans follow the request through `await`s by AsyncLocalStorage, and `traceparent` headers are
 * W3C Trace Context: both are process-wide settings of OpenTelemetry's API, made once.
 */
function useAsyncContext(): void {
  if (contextReady) return
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable())
  propagation.setGlobalPropagator(new W3CTraceContextPropagator())
  contextReady = true
}

/**
 * The process's tracer (decision 018): off unless spans have somewhere to go — an OTLP collector
 * (the AWS Distro for OpenTelemetry in AWS), the console, or a test's exporter. Off costs nothing: no tracer,
 * no spans, no context switches.
 */
export function startTracing(options: TracingOptions): Tracing {
  const processors: SpanProcessor[] = []
  if (options.processor) processors.push(options.processor)
  if (options.console)
    processors.push(new SimpleSpanProcessor({ exporter: new ConsoleSpanExporter() }))
  if (options.otlpEndpoint) {
    processors.push(
      new BatchSpanProcessor({
        exporter: new OTLPTraceExporter({
          url: `${options.otlpEndpoint.replace(/\/$/, '')}/v1/traces`,
        }),
      }),
    )
  }
  const continueCallerTraces = options.continueCallerTraces ?? true
  if (processors.length === 0) {
    return { tracer: undefined, continueCallerTraces, close: () => Promise.resolve() }
  }
  useAsyncContext()
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: 'votelab-api' }),
    sampler: new ParentBasedSampler({
      root: new TraceIdRatioBasedSampler(options.sampleRatio ?? 1),
    }),
    spanProcessors: processors,
  })
  return {
    tracer: provider.getTracer('votelab'),
    continueCallerTraces,
    close: () => provider.shutdown(),
  }
}

/** The caller's trace, from its `traceparent` (and `tracestate`) headers, if it sent one. */
export function incomingContext(header: (name: string) => string | undefined): Context {
  return propagation.extract(ROOT_CONTEXT, null, {
    keys: () => ['traceparent', 'tracestate'],
    get: (_carrier, key) => header(key),
  })
}

/** The span a request runs in now: what a vote carries into its batch, to be linked from it. */
export function currentSpanContext(): SpanContext | undefined {
  return trace.getActiveSpan()?.spanContext()
}

/** Runs `work` in a span; marks it failed and rethrows if `work` throws. */
export async function inSpan<T>(
  tracer: Tracer,
  name: string,
  options: Parameters<Tracer['startSpan']>[1],
  parent: Context,
  work: (span: Span) => Promise<T>,
): Promise<T> {
  const span = tracer.startSpan(name, options, parent)
  try {
    return await context.with(trace.setSpan(parent, span), () => work(span))
  } catch (error) {
    span.recordException(error instanceof Error ? error : String(error))
    span.setStatus({ code: SpanStatusCode.ERROR })
    throw error
  } finally {
    span.end()
  }
}

export { SpanKind }
