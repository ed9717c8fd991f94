import { ConfigError, loadConfig } from './config.ts'
import { startServer } from './http-server.ts'
import { createLogger } from './logger.ts'

let config
try {
  config = loadConfig()
} catch (error) {
  if (!(error instanceof ConfigError)) throw error
  console.error(error.message)
  process.exit(1)
}

const logger = createLogger(config.logLevel, undefined, config.logFormat)
const running = await startServer(config, logger).catch((error: unknown) => {
  logger.fatal({ err: error }, 'could not start')
  process.exit(1)
})
logger.info(
  {
    url: running.url,
    database: config.database.kind,
    auth: config.auth.mode,
    issuer: config.auth.issuer,
  },
  `votelab API listening on ${running.url}`,
)

let stopping = false
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  // `on`, not `once`: a second Ctrl-C (or a signal forwarded by `pnpm dev`) must not kill us mid-drain.
  process.on(signal, () => {
    if (stopping) return
    stopping = true
    logger.info({ signal }, 'shutting down')
    // A hard deadline, in case something never lets go: ECS sends SIGKILL 30 s after SIGTERM.
    setTimeout(() => {
      logger.error('shutdown took too long; exiting')
      process.exit(1)
    }, config.shutdownTimeoutMs + 1_000).unref()
    running.stop().then(
      () => {
        logger.info('stopped cleanly')
        process.exit(0)
      },
      (error: unknown) => {
        logger.error({ err: error }, 'error during shutdown')
        process.exit(1)
      },
    )
  })
}
