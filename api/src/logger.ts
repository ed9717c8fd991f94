import { pino, type DestinationStream, type Logger } from 'pino'

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

/** JSON lines to stdout (or `destination`). */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  const options = {
    level,
    base: { service: 'votelab-api' },
    timestamp: pino.stdTimeFunctions.isoTime,
    serializers: { err: (error: Error) => serializeError(error) },
    redact: { paths: ['req.headers.authorization', '*.password', '*.token'], censor: '[redacted]' },
  }
  return destination ? pino(options, destination) : pino(options)
}
