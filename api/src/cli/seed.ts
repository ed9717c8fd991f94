// pnpm db:seed: add the demo polls (one open, one closed with votes, one draft) if they are missing.
import { openDatabase } from '../db/client.ts'
import { migrateToLatest } from '../db/migrate.ts'
import { seedDemoPolls } from '../db/seed.ts'
import { createLogger } from '../logger.ts'
import { configOrExit } from './shared.ts'

const config = configOrExit()
const database = await openDatabase(config.database, createLogger('warn'))
try {
  await migrateToLatest(database.db)
  const added = await seedDemoPolls(database.db)
  console.log(
    added.length ? `Added demo polls:\n  ${added.join('\n  ')}` : 'Demo polls already present.',
  )
} finally {
  await database.close()
}
