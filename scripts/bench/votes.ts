// pnpm bench:votes [--duration 10] [--connections 64] [--replicas 1] [--via nginx|direct] [--no-keys]
//                  [--group <name>] [--roll <entries>] [--metrics] [--baseline]
// Starts N API replicas on real Postgres (a scratch database on the server at DATABASE_URL) behind
// nginx (as in `pnpm stack:local`; `--via direct` spreads connections over the replicas instead),
// mints one token per voter, drives POST /api/polls/:id/votes on one poll from a closed-loop load
// generator, then checks that the tally equals the number of 201s. With `--group`, the poll takes
// that group's members only and every voter's token carries it among four groups: the cost of the
// eligibility check. With `--roll 100000`, the poll takes a voter roll of that many addresses
// (uploaded as CSV, timed) and every voter is an account with a verified address on it: each vote
// is that voter's first, so each pays the mailbox lookup (a cache miss) and the roll check.
// With `--metrics`, each replica serves METRICS_PORT and is scraped every second while the load
// runs (Prometheus scrapes every 15 s: this is the harsher case): the cost of instrumentation.
// With `--baseline`, after the API has stopped, the same machine and load measure one-statement
// votes on raw Postgres, a bare Hono POST and the least a correct vote does (a verified token and
// one INSERT; baselines.ts), and the API's figure as ratios of them.
// Prints numbers; asserts nothing about speed.
import { randomUUID } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import pg from 'pg'
import { loadLocalIssuer } from '@votelab/api/auth/local-issuer'
import { nginxBinary, type NginxProxy } from '@votelab/testkit/nginx'
import {
  cpuSeconds,
  cpuSecondsWithChildren,
  createScratchDatabase,
  mintVoterTokens,
  startBalancer,
  startReplicas,
} from './lib.ts'
import { bareHonoPosts, minimalVotes, rawPostgresVotes } from './baselines.ts'
import { percentile, runLoad } from './load.ts'
import { voterEmail, voterSub } from './voter-ids.ts'

const runId = randomUUID()
const { values } = parseArgs({
  allowNegative: true,
  options: {
    duration: { type: 'string', default: '10' },
    connections: { type: 'string', default: '64' },
    port: { type: 'string', default: '3100' },
    replicas: { type: 'string', default: '1' },
    rate: { type: 'string', default: '5000', description: 'tokens minted per second of duration' },
    via: { type: 'string', default: nginxBinary() ? 'nginx' : 'direct' },
    // The web client sends an Idempotency-Key with every vote; --no-keys measures without.
    keys: { type: 'boolean', default: true },
    group: { type: 'string' },
    roll: { type: 'string' },
    metrics: { type: 'boolean', default: false },
    baseline: { type: 'boolean', default: false },
  },
})
const duration = Number(values.duration)
const connections = Number(values.connections)
const replicas = Number(values.replicas)
const serverUrl = process.env.DATABASE_URL
if (!serverUrl) {
  console.error(
    'bench:votes measures the API on real Postgres: set DATABASE_URL to a server where it may create a scratch database,\n' +
      'e.g. DATABASE_URL=postgres://votelab:votelab@127.0.0.1:5432/votelab pnpm bench:votes',
  )
  process.exit(1)
}

const publicUrl = 'http://localhost:3000'
const issuerUrl = `${publicUrl}/auth`
const dataDir = mkdtempSync(join(tmpdir(), 'votelab-bench-'))
const database = await createScratchDatabase(serverUrl)
const log = (message: string) => console.error(`› ${message}`)

// The API's own figures, for the baselines' ratios.
const measured = { votesPerSecond: Number.NaN, p50: Number.NaN, p99: Number.NaN }
let tokens: string[] = []
try {
  const issuer = await loadLocalIssuer(issuerUrl, dataDir)
  const voterCount = Math.ceil(duration * Number(values.rate))
  log(`minting ${voterCount} voter tokens…`)
  const mintStarted = performance.now()
  const groups = values.group ? ['staff', 'lab', 'night-shift', values.group] : []
  const rollSize = values.roll ? Number(values.roll) : 0
  // Roll voters have accounts, whose ids are UUIDs (voter-ids.ts).
  tokens = await mintVoterTokens(
    issuerUrl,
    dataDir,
    rollSize ? undefined : 'bench-voter',
    voterCount,
    groups,
  )
  log(`minted in ${((performance.now() - mintStarted) / 1000).toFixed(1)} s`)

  // Replicas share the database and the issuer key, as ECS tasks share RDS and Cognito.
  const { first: api, all: apis } = await startReplicas(replicas, Number(values.port), (i) => ({
    DATABASE_URL: database.url,
    DATA_DIR: dataDir,
    PUBLIC_URL: publicUrl,
    // Every voter comes from this one address; behind nginx, one proxy hop.
    RATE_LIMIT_ADDRESS_WRITES_PER_MINUTE: '0',
    TRUST_PROXY_HOPS: values.via === 'nginx' ? '1' : '0',
    ...(values.metrics ? { METRICS_PORT: String(Number(values.port) + 100 + i) } : {}),
  }))
  let nginx: NginxProxy | undefined
  try {
    if (values.via === 'nginx') nginx = await startBalancer(apis, dataDir)
    const origins = nginx ? [nginx.url] : apis.map((replica) => replica.url)
    const admin = `Bearer ${await issuer.mintAccessToken({ sub: 'bench-admin', groups: ['admins'] })}`
    const json = { 'content-type': 'application/json' }
    const created = await fetch(`${api.url}/api/polls`, {
      method: 'POST',
      headers: { ...json, authorization: admin },
      body: JSON.stringify({
        title: 'Benchmark',
        options: ['A', 'B', 'C', 'D'],
        ...(values.group ? { eligibility: { kind: 'group', group: values.group } } : {}),
        ...(rollSize ? { eligibility: { kind: 'roll', emails: [] } } : {}),
      }),
    })
    const poll = (await created.json()) as { id: string; options: { id: string }[] }
    let rollUpload = 'n/a'
    if (rollSize) {
      rollUpload = await prepareRoll(database.url, poll.id, admin, voterCount, rollSize, api.url)
    }
    await fetch(`${api.url}/api/polls/${poll.id}/open`, {
      method: 'POST',
      headers: { authorization: admin },
    })
    const bodies = poll.options.map((option) => JSON.stringify({ optionId: option.id }))

    log(
      `voting for ${duration} s at ${connections} connections over ${replicas} API process(es), ${nginx ? 'through nginx' : 'directly'}…`,
    )
    const cpuBefore = apis.map((replica) => cpuSeconds(replica.pid))
    const nginxCpuBefore = cpuSecondsWithChildren(nginx?.process.pid)
    const scrapes = values.metrics
      ? setInterval(() => {
          for (let i = 0; i < replicas; i++) {
            void fetch(`http://127.0.0.1:${String(Number(values.port) + 100 + i)}/metrics`)
              .then((response) => response.text())
              .catch(() => undefined)
          }
        }, 1_000)
      : undefined
    const load = await runLoad(origins, {
      connections,
      durationSeconds: duration,
      // Past the last token voters repeat and get 409s, which are neither 201s nor counted.
      nextRequest: (i) => ({
        method: 'POST',
        path: `/api/polls/${poll.id}/votes`,
        headers: {
          ...json,
          authorization: `Bearer ${tokens[i % tokens.length] ?? ''}`,
          ...(values.keys ? { 'idempotency-key': `bench-${runId}-${String(i)}` } : {}),
        },
        body: bodies[i % bodies.length] ?? '',
      }),
    })

    clearInterval(scrapes)
    const apiCpu = apis.reduce(
      (sum, replica, i) =>
        sum + (cpuSeconds(replica.pid) ?? Number.NaN) - (cpuBefore[i] ?? Number.NaN),
      0,
    )
    const results = (await (await fetch(`${api.url}/api/polls/${poll.id}/results`)).json()) as {
      totalVotes: number
    }
    const acknowledged = load.statuses.get(201) ?? 0
    const others = [...load.statuses]
      .filter(([code]) => code !== 201)
      .map(([code, count]) => `${code}×${count}`)
    const counted = results.totalVotes
    const report = {
      'votes/s': Math.round(acknowledged / load.elapsedSeconds),
      'p50 ms': percentile(load.latencies, 50).toFixed(1),
      'p99 ms': percentile(load.latencies, 99).toFixed(1),
      'max ms': percentile(load.latencies, 100).toFixed(1),
      acknowledged,
      counted,
      'counted/acknowledged': acknowledged
        ? `${((counted / acknowledged) * 100).toFixed(2)} %`
        : 'n/a',
      'other responses': others.join(' ') || 'none',
      'network errors': load.errors,
      'API CPU µs per request': Math.round((apiCpu * 1e6) / (load.latencies.length || 1)),
      'nginx CPU µs per req.': nginx
        ? Math.round(
            (((cpuSecondsWithChildren(nginx.process.pid) ?? Number.NaN) -
              (nginxCpuBefore ?? Number.NaN)) *
              1e6) /
              (load.latencies.length || 1),
          )
        : 'n/a (direct)',
      connections,
      'duration s': load.elapsedSeconds.toFixed(1),
      replicas,
      via: nginx ? 'nginx' : 'direct',
      'idempotency keys': values.keys ? 'yes' : 'no',
      eligibility: values.group
        ? `group ${values.group}`
        : rollSize
          ? `roll of ${rollSize.toLocaleString('en')}`
          : 'anyone',
      'roll upload': rollUpload,
      metrics: values.metrics ? 'on, scraped every second' : 'off',
    }
    measured.votesPerSecond = report['votes/s']
    measured.p50 = percentile(load.latencies, 50)
    measured.p99 = percentile(load.latencies, 99)
    console.log('\nbench:votes — one hot poll, API + Postgres on this machine')
    for (const [key, value] of Object.entries(report)) console.log(`  ${key.padEnd(22)} ${value}`)
    if (counted !== acknowledged) {
      console.error('MISMATCH: the tally differs from the number of 201 responses')
      process.exitCode = 1
    }
  } finally {
    await nginx?.stop()
    await Promise.all(apis.map((replica) => replica.stop()))
  }
  if (values.baseline) {
    log(
      `baselines: one-statement votes on raw Postgres, a bare Hono POST, a minimal vote, ${duration} s each…`,
    )
    const load = { connections, durationSeconds: duration }
    const raw = await rawPostgresVotes(database.url, load)
    const bare = await bareHonoPosts(load)
    const issuer = await loadLocalIssuer(issuerUrl, dataDir)
    const minimal = await minimalVotes(database.url, {
      ...load,
      issuer: issuerUrl,
      jwks: issuer.jwks,
      tokens,
    })
    const row = (name: string, perSecond: number, p50: number, p99: number) =>
      `  ${name.padEnd(34)} ${String(perSecond).padStart(8)}/s   p50 ${p50.toFixed(1).padStart(6)} ms   p99 ${p99.toFixed(1).padStart(6)} ms`
    console.log('\nbaselines — same machine, same load, same run')
    console.log(row('votelab (above)', measured.votesPerSecond, measured.p50, measured.p99))
    console.log(row('raw Postgres, one INSERT per vote', raw.perSecond, raw.p50, raw.p99))
    console.log(row('bare Hono POST (no work)', bare.perSecond, bare.p50, bare.p99))
    console.log(row('minimal vote (token + INSERT)', minimal.perSecond, minimal.p50, minimal.p99))
    console.log(
      `  votelab / raw Postgres             ${(measured.votesPerSecond / raw.perSecond).toFixed(2)}×`,
    )
    console.log(
      `  votelab / bare Hono POST           ${((measured.votesPerSecond / bare.perSecond) * 100).toFixed(1)} %`,
    )
    console.log(
      `  minimal vote / bare Hono POST      ${((minimal.perSecond / bare.perSecond) * 100).toFixed(1)} %`,
    )
    console.log(
      `  votelab / minimal vote             ${(measured.votesPerSecond / minimal.perSecond).toFixed(2)}×`,
    )
  }
} finally {
  await database.drop()
  rmSync(dataDir, { recursive: true, force: true })
}

/**
 * Gives every benchmark voter an account with a verified address, and the poll a roll of
 * `rollSize` addresses that includes them all; returns how long the upload took.
 */
async function prepareRoll(
  databaseUrl: string,
  pollId: string,
  admin: string,
  voterCount: number,
  rollSize: number,
  apiUrl: string,
): Promise<string> {
  if (rollSize < voterCount) {
    throw new Error(`--roll ${String(rollSize)} is shorter than the ${String(voterCount)} voters`)
  }
  const client = new pg.Client({ connectionString: databaseUrl })
  await client.connect()
  try {
    const ids = Array.from({ length: voterCount }, (_, i) => voterSub(undefined, i))
    const emails = Array.from({ length: voterCount }, (_, i) => voterEmail(i))
    await client.query(
      `insert into local_users (id, email, password_hash, email_verified_at)
       select unnest($1::uuid[]), unnest($2::text[]), 'bench: no password', now()`,
      [ids, emails],
    )
  } finally {
    await client.end()
  }
  const lines = ['email']
  for (let i = 0; i < rollSize; i += 1) {
    lines.push(i < voterCount ? voterEmail(i) : `member${String(i)}@roll.example`)
  }
  const csv = `${lines.join('\n')}\n`
  const started = performance.now()
  const uploaded = await fetch(`${apiUrl}/api/polls/${pollId}/roll`, {
    method: 'PUT',
    headers: { authorization: admin, 'content-type': 'text/csv' },
    body: csv,
  })
  const seconds = (performance.now() - started) / 1000
  if (!uploaded.ok)
    throw new Error(`roll upload: ${String(uploaded.status)} ${await uploaded.text()}`)
  const { voters } = (await uploaded.json()) as { voters: number }
  return `${voters.toLocaleString('en')} addresses, ${(csv.length / 1e6).toFixed(1)} MB, in ${seconds.toFixed(2)} s`
}
