// pnpm run token --sub alice [--admin] [--count N] [--ttl 1h] [--client-id votelab-cli]
// Prints access tokens signed by the local issuer, one per line. Development only.
import { parseArgs } from 'node:util'
import { loadLocalIssuer } from '../auth/local-issuer.ts'
import { ADMIN_GROUP } from '../auth/verify.ts'
import { configOrExit } from './shared.ts'

const usage =
  'usage: pnpm run token --sub <name> [--admin] [--count N] [--ttl 1h|30m|90s] [--client-id ID]'

function fail(message: string): never {
  console.error(`${message}\n${usage}`)
  process.exit(1)
}

export function parseTtl(text: string): number {
  const match = /^(\d+)\s*(s|m|h|d)?$/.exec(text.trim())
  if (!match) fail(`--ttl: "${text}" is not a duration like 90s, 30m, 1h or 7d`)
  const unit = { s: 1, m: 60, h: 3600, d: 86400 }[(match[2] ?? 's') as 's' | 'm' | 'h' | 'd']
  return Number(match[1]) * unit
}

let args
try {
  args = parseArgs({
    options: {
      sub: { type: 'string' },
      admin: { type: 'boolean', default: false },
      count: { type: 'string', default: '1' },
      ttl: { type: 'string', default: '1h' },
      'client-id': { type: 'string', default: 'votelab-cli' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  }).values
} catch (error) {
  fail((error as Error).message)
}
if (args.help) {
  console.log(usage)
  process.exit(0)
}
if (!args.sub) fail('--sub is required')
const count = Number(args.count)
if (!Number.isInteger(count) || count < 1 || count > 100_000)
  fail('--count must be a whole number from 1 to 100000')

const config = configOrExit()
if (config.auth.mode !== 'local') {
  fail(
    `Refusing to mint tokens: the API trusts ${config.auth.issuer} (AUTH_ISSUER), not the local issuer.`,
  )
}
if (!config.auth.clientIds.includes(args['client-id'])) {
  fail(
    `--client-id ${args['client-id']} is not in AUTH_CLIENT_IDS (${config.auth.clientIds.join(', ')})`,
  )
}

const issuer = await loadLocalIssuer(config.auth.issuer, config.dataDir)
const ttlSeconds = parseTtl(args.ttl)
for (let i = 1; i <= count; i++) {
  const sub = count === 1 ? args.sub : `${args.sub}-${i}`
  const token = await issuer.mintAccessToken({
    sub,
    groups: args.admin ? [ADMIN_GROUP] : [],
    clientId: args['client-id'],
    ttlSeconds,
  })
  process.stdout.write(`${token}\n`)
}
