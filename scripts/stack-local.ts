// pnpm stack:local [--replicas 2] [--port 8080] [--prometheus-port 9090]
//
// The AWS topology on one machine, without Docker: Postgres (Debian's; DATABASE_URL to use your
// own server instead), N API replicas and nginx in front standing in for CloudFront and the ALB,
// and Prometheus scraping every replica with the service's recording and alert rules. One URL;
// Ctrl-C stops everything cleanly. Needs Debian's `postgresql` and `nginx` packages, and
// `prometheus` for the metrics (without it, the stack runs and says so).
import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { startLocalStack } from '@votelab/testkit/local-stack'

const { values } = parseArgs({
  options: {
    replicas: { type: 'string', default: '2' },
    port: { type: 'string', default: '8080' },
    'prometheus-port': { type: 'string', default: '9090' },
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
  prometheus: {
    port: Number(values['prometheus-port']),
    ruleFiles: [join(root, 'scripts/prometheus/rules.yml')],
  },
})
// The demo polls and development accounts, as `pnpm dev` has them, by the API's own seeding
// command (as docker compose seeds too).
const seeded = execFileSync(process.execPath, [join(root, 'api/src/cli/seed.ts')], {
  env: { ...process.env, DATABASE_URL: stack.databaseUrl, DATA_DIR: stack.dataDir },
  encoding: 'utf8',
})

console.log(`
  votelab, production-shaped, on ${stack.url}
    nginx      ${stack.url}  (CloudFront + ALB: the page, /api/*, /auth/*; failover between replicas)
    replicas   ${stack.replicas.map((r) => `${r.url} (pid ${String(r.pid)})`).join('\n               ')}
    postgres   ${stack.postgres ? stack.databaseUrl : 'DATABASE_URL'}
    metrics    ${stack.metricsTargets.map((target) => `http://${target}/metrics`).join('\n               ')}
    prometheus ${stack.prometheus ? `${stack.prometheus.url}  (graphs, alerts: ${stack.prometheus.url}/alerts)` : 'not installed (Debian: apt-get install prometheus)'}

  ${seeded.trim().split('\n').join('\n  ')}

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
