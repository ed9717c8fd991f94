// pnpm db:seed: add the demo polls (open, closed with votes, draft, and two with voter lists) if they are missing,
// and, when this process is its own issuer, the development accounts (docker compose runs this).
import { DEV_ACCOUNTS, ensureDevAccounts } from '../auth/provider/accounts.ts'
import { openDatabase } from '../db/client.ts'
import { migrateToLatest } from '../db/migrate.ts'
import { seedDemoPolls } from './demo-polls.ts'
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
  if (config.auth.mode === 'local') {
    await ensureDevAccounts(database.db)
    console.log(
      `Development accounts (local sign-in only):\n${DEV_ACCOUNTS.map((a) => `  ${a.email.padEnd(22)} ${a.password}`).join('\n')}`,
    )
  }
} finally {
  await database.close()
}
