// pnpm dev: migrate and seed the configured database, then run the API and restart it on changes.
import { spawn, spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
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
  await seedDemoPolls(database.db)
  if (config.auth.mode === 'local') await ensureDevAccounts(database.db)
} finally {
  // PGlite allows one process at a time: let go before the server opens it.
  await database.close()
}

const where =
  config.database.kind === 'pglite'
    ? `embedded PGlite in ${config.database.dataDir}`
    : 'Postgres (DATABASE_URL)'
// When scripts/setup.sh installed Node and pnpm under .tools/, other terminals need them on PATH too.
const tools = fileURLToPath(new URL('../../../.tools', import.meta.url))
const pathHint = process.execPath.startsWith(tools)
  ? `    export PATH="${tools}/node/bin:${tools}/pnpm/bin:$PATH"\n`
  : ''
const accountsHint =
  config.auth.mode === 'local'
    ? `  Development accounts (local sign-in at ${config.auth.issuer}; never use these anywhere else):\n${DEV_ACCOUNTS.map((a) => `    ${a.email.padEnd(22)} ${a.password.padEnd(14)} ${a.groups.join(', ') || 'voter'}`).join('\n')}\n\n`
    : ''
console.log(`
  votelab is starting on ${config.publicUrl}  (page with hot reload: http://localhost:5173)
    database   ${where}
    issuer     ${config.auth.issuer} (${config.auth.mode})
    API docs   ${config.publicUrl}/api/docs
${config.auth.mode === 'local' && config.auth.mail.kind === 'mailbox' && config.auth.mail.served ? `    mailbox    ${config.auth.issuer}/dev/mailbox  (sign-up codes and invitations: no mail server here)\n` : ''}
${accountsHint}  Get a token and vote, from another terminal in this folder:
${pathHint}    TOKEN=$(pnpm run token --sub alice)
    curl -s ${config.publicUrl}/api/polls -H "Authorization: Bearer $TOKEN"
  An admin token: pnpm run token --sub admin --admin
`)

// The page: built once so the API serves it at :3000, and Vite on :5173 for hot reload.
const pnpm = process.platform === 'win32' ? 'pnpm.cmd' : 'pnpm'
const built = spawnSync(pnpm, ['--filter', '@votelab/web', 'build'], { stdio: 'inherit' })
if (built.status !== 0) console.warn('  (the web client did not build; the API still runs)')

const children = [
  spawn(
    process.execPath,
    [
      '--watch-path',
      fileURLToPath(new URL('..', import.meta.url)),
      fileURLToPath(new URL('../server.ts', import.meta.url)),
    ],
    { stdio: 'inherit' },
  ),
  spawn(pnpm, ['--filter', '@votelab/web', 'dev', '--clearScreen', 'false'], { stdio: 'inherit' }),
]
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    for (const child of children) child.kill(signal)
  })
}
// When the API stops, stop everything.
children[0]?.on('exit', (code) => {
  children[1]?.kill('SIGTERM')
  process.exit(code ?? 0)
})
