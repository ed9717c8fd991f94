import { pino, type DestinationStream, type Logger } from 'pino'

/**
 * Errors as pino serializes them, minus what pg hangs on its errors: the whole client, connection
 * parameters (and password) included.
 */
function serializeError(error: Error): object {
  const serialized = pino.stdSerializers.err(error) as Record<string, unknown>
  delete serialized.client
  return serialized
}

/** JSON lines to stdout (or `destination`). */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  const options = {
    level,
    base: { service: 'votelab-api' },
    timestamp: pino.stdTimeFunctions.isoTime,
    serializers: { err: serializeError },
    redact: { paths: ['req.headers.authorization', '*.password', '*.token'], censor: '[redacted]' },
  }
  return destination ? pino(options, destination) : pino(options)
}
