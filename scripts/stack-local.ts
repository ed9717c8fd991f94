// pnpm stack:local [--replicas 2] [--port 8080]
//
// The AWS topology on one machine, without Docker: Postgres (Debian's; DATABASE_URL to use your
// own server instead), N API replicas and nginx in front standing in for CloudFront and the ALB.
// One URL; Ctrl-C stops everything cleanly. Needs Debian's `postgresql` and `nginx` packages.
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { DEV_ACCOUNTS, ensureDevAccounts } from '../api/src/auth/provider/accounts.ts'
import { openDatabase } from '../api/src/db/client.ts'
import { seedDemoPolls } from '../api/src/cli/demo-polls.ts'
import { createLogger } from '../api/src/logger.ts'
import { loadConfig } from '../api/src/config.ts'
import { startLocalStack } from './stack/stack.ts'

const { values } = parseArgs({
  options: {
    replicas: { type: 'string', default: '2' },
    port: { type: 'string', default: '8080' },
  },
})
const root = new URL('../', import.meta.url).pathname
if (!existsSync(join(root, 'web/dist/index.html'))) {
  console.error('web/dist is missing: run `pnpm build` first.')
  process.exit(1)
}

const stack = await startLocalStack({
  replicas: Number(values.replicas),
  port: Number(values.port),
  databaseUrl: process.env.DATABASE_URL,
  dir: join(root, '.data/stack'),
})
// The demo polls and development accounts, as `pnpm dev` has them.
const database = await openDatabase(
  loadConfig({ DATABASE_URL: stack.databaseUrl }).database,
  createLogger('warn'),
)
await seedDemoPolls(database.db)
await ensureDevAccounts(database.db)
await database.close()

console.log(`
  votelab, production-shaped, on ${stack.url}
    nginx      ${stack.url}  (CloudFront + ALB: the page, /api/*, /auth/*; failover between replicas)
    replicas   ${stack.replicas.map((r) => `${r.url} (pid ${String(r.pid)})`).join('\n               ')}
    postgres   ${stack.postgres ? stack.databaseUrl : 'DATABASE_URL'}
    accounts   ${DEV_ACCOUNTS.map((a) => `${a.email} / ${a.password}`).join(', ')}

  Try: kill -9 one replica's pid and keep voting; Ctrl-C stops everything.
`)

let stopping = false
const stop = async () => {
  if (stopping) return
  stopping = true
  console.log('\n  stopping nginx, the replicas and Postgres…')
  await stack.stop()
  process.exit(0)
}
process.on('SIGINT', () => void stop())
process.on('SIGTERM', () => void stop())
