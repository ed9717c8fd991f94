import { ConfigError, loadConfig, type Config } from '../config.ts'

/** Loads config for a command-line tool, printing the problems and exiting 1 when it is invalid. */
export function configOrExit(): Config {
  try {
    return loadConfig()
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error
    console.error(error.message)
    process.exit(1)
  }
}
