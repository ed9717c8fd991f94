// pnpm dev: migrate and seed the configured database, then run the API and restart it on changes.
import { spawn, spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { ensureDevAccounts } from '../auth/provider/accounts.ts'
import { devBanner } from './banner.ts'
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

// When scripts/setup.sh installed Node and pnpm under .tools/, other terminals need them on PATH too.
const tools = fileURLToPath(new URL('../../../.tools', import.meta.url))
const pathHint = process.execPath.startsWith(tools)
  ? `    export PATH="${tools}/node/bin:${tools}/pnpm/bin:$PATH"\n`
  : ''
console.log(devBanner(config, process.env, { pathHint }))

// The page: built once so the API serves it at PUBLIC_URL, and Vite at webDevUrl for hot reload.
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
  // Vite listens where the sign-in provider expects the page (config.webDevUrl) and forwards the
  // API to this very port (web/vite.config.ts).
  spawn(pnpm, ['--filter', '@votelab/web', 'dev', '--clearScreen', 'false'], {
    stdio: 'inherit',
    env: {
      ...process.env,
      VOTELAB_API_PORT: String(config.port),
      VOTELAB_WEB_PORT: new URL(config.webDevUrl).port,
    },
  }),
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
