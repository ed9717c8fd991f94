import { pino, type Logger } from 'pino'

export function createLogger(level: string): Logger {
  return pino({
    level,
    base: { service: 'votelab-api' },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: ['req.headers.authorization', '*.password', '*.token'], censor: '[redacted]' },
  })
}
