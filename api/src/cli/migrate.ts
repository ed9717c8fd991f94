// pnpm db:migrate [--down]: bring the configured database up to date, or roll every migration back.
import { parseArgs } from 'node:util'
import { openDatabase } from '../db/client.ts'
import { migrateDownAll, migrateToLatest } from '../db/migrate.ts'
import { createLogger } from '../logger.ts'
import { configOrExit } from './shared.ts'

const { values } = parseArgs({ options: { down: { type: 'boolean', default: false } } })
const config = configOrExit()
const database = await openDatabase(config.database, createLogger('warn'))
try {
  const steps = values.down ? await migrateDownAll(database.db) : await migrateToLatest(database.db)
  console.log(steps.length ? steps.join('\n') : 'Already up to date.')
} finally {
  await database.close()
}
