import { trace } from '@opentelemetry/api'
import { pino, type DestinationStream, type Logger } from 'pino'
import pretty from 'pino-pretty'

/**
 * What an error may say in a log line: what went wrong and where, never the data involved.
 * Database drivers hang far more on their errors — pg the whole client (connection parameters,
 * password), PGlite the query's parameters, Postgres a `detail` quoting the conflicting row — and
 * a failed vote batch's parameters are voters' `sub`s next to options and trackers: logging them
 * would undo the secret ballot. So fields are allowed by name, not removed by name.
 */
const ERROR_FIELDS = [
  'type',
  'message',
  'stack',
  'code',
  'errno',
  'syscall',
  'severity',
  'routine',
  'schema',
  'table',
  'column',
  'constraint',
  'dataType',
] as const

function serializeError(error: Error, depth = 0): object {
  const full = pino.stdSerializers.err(error) as Record<string, unknown>
  const safe: Record<string, unknown> = {}
  for (const field of ERROR_FIELDS) if (full[field] !== undefined) safe[field] = full[field]
  if (error.cause instanceof Error && depth < 3) safe.cause = serializeError(error.cause, depth + 1)
  return safe
}

/** How log lines look: JSON for machines (production, CloudWatch), or one short line for people. */
export type LogFormat = 'json' | 'pretty'

/**
 * A request in one short line (`GET /api/polls 200 4 ms`), anything else as its message: on a
 * laptop the banner and the development accounts stay on screen. Fields keep their values.
 */
function readable(destination: DestinationStream | undefined): DestinationStream {
  return pretty({
    destination: destination ?? 1,
    sync: true,
    colorize: destination === undefined && process.stdout.isTTY,
    translateTime: 'HH:MM:ss',
    ignore: 'pid,hostname,service,method,path,status,ms,requestId,trace_id,span_id',
    singleLine: true,
    messageFormat: (log, messageKey) =>
      log[messageKey] === 'request'
        ? `${String(log.method)} ${String(log.path)} ${String(log.status)} ${String(log.ms)} ms`
        : String(log[messageKey]),
  })
}

function traceIds(): object {
  const span = trace.getActiveSpan()
  if (!span) return {}
  const { traceId, spanId } = span.spanContext()
  return { trace_id: traceId, span_id: spanId }
}

/** JSON lines to stdout (or `destination`); `pretty`: short readable lines (LOG_FORMAT). */
export function createLogger(
  level: string,
  destination?: DestinationStream,
  format: LogFormat = 'json',
): Logger {
  const options = {
    level,
    base: { service: 'votelab-api' },
    timestamp: pino.stdTimeFunctions.isoTime,
    serializers: { err: (error: Error) => serializeError(error) },
    redact: { paths: ['req.headers.authorization', '*.password', '*.token'], censor: '[redacted]' },
    // Inside a traced request, every line names its trace and span: logs and traces join.
    mixin: traceIds,
  }
  if (format === 'pretty') return pino(options, readable(destination))
  return destination ? pino(options, destination) : pino(options)
}
