// pnpm bench:watchers [--watchers 10000] [--votes 200] [--rate 20] [--port 3200] [--replicas 1]
//
// N live-results watchers (SSE) while votes arrive: how long from sending a vote until each
// watcher sees it (p50/p99), and what each API process's memory (RSS) costs. One process by
// default; `--replicas N` starts N on the same database behind nginx (when installed; otherwise
// the watchers are spread over them directly), the votes still going to the first one, so every
// other replica learns of them through LISTEN/NOTIFY: do N processes carry N times the watchers?
// (nginx proxies each stream with two connections of its 20,000: keep --watchers under ≈ 9,000.)
// Real Postgres (a scratch database on the server at DATABASE_URL), real sockets. Prints numbers;
// asserts nothing about speed.
import { connect, type Socket } from 'node:net'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { loadLocalIssuer } from '@votelab/api/auth/local-issuer'
import { nginxBinary, type NginxProxy } from '@votelab/testkit/nginx'
import {
  cpuSeconds,
  createScratchDatabase,
  mintVoterTokens,
  startBalancer,
  startReplicas,
} from './lib.ts'
import { percentile } from './load.ts'

const { values } = parseArgs({
  options: {
    watchers: { type: 'string', default: '10000' },
    votes: { type: 'string', default: '200' },
    rate: { type: 'string', default: '20', description: 'votes per second' },
    port: { type: 'string', default: '3200' },
    replicas: { type: 'string', default: '1' },
    coalesce: {
      type: 'string',
      default: '150',
      description: 'RESULTS_COALESCE_MS (the API default)',
    },
  },
})
const watcherCount = Number(values.watchers)
const replicas = Number(values.replicas)
const voteCount = Number(values.votes)
const serverUrl = process.env.DATABASE_URL
if (!serverUrl) {
  console.error(
    'bench:watchers needs DATABASE_URL (a Postgres server where it may create a scratch database)',
  )
  process.exit(1)
}
const log = (message: string) => console.error(`› ${message}`)
const rssMb = (pid: number | undefined) => {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${String(pid)}/status`, 'utf8'))
  return match ? Number(match[1]) / 1024 : Number.NaN
}

const publicUrl = 'http://localhost:3000'
const dataDir = mkdtempSync(join(tmpdir(), 'votelab-bench-watchers-'))
const database = await createScratchDatabase(serverUrl)
try {
  const issuer = await loadLocalIssuer(`${publicUrl}/auth`, dataDir)
  const tokens = await mintVoterTokens(`${publicUrl}/auth`, dataDir, 'watch-voter', voteCount)
  const { first: api, all: apis } = await startReplicas(replicas, Number(values.port), () => ({
    DATABASE_URL: database.url,
    DATA_DIR: dataDir,
    PUBLIC_URL: publicUrl,
    RESULTS_COALESCE_MS: values.coalesce,
    RATE_LIMIT_ADDRESS_WRITES_PER_MINUTE: '0',
    // Every watcher comes from this one address, past any production cap.
    STREAMS_PER_ADDRESS: '0',
    STREAMS_PER_PROCESS: '0',
  }))
  let nginx: NginxProxy | undefined
  try {
    if (replicas > 1 && nginxBinary()) nginx = await startBalancer(apis, dataDir)
    // Where watchers connect: nginx, or each replica in turn.
    const watcherPorts = nginx
      ? [Number(new URL(nginx.url).port)]
      : apis.map((replica) => Number(new URL(replica.url).port))
    const admin = `Bearer ${await issuer.mintAccessToken({ sub: 'bench-admin', groups: ['admins'] })}`
    const json = { 'content-type': 'application/json' }
    const created = await fetch(`${api.url}/api/polls`, {
      method: 'POST',
      headers: { ...json, authorization: admin },
      body: JSON.stringify({ title: 'Watched', options: ['A', 'B'] }),
    })
    const poll = (await created.json()) as { id: string; options: { id: string }[] }
    await fetch(`${api.url}/api/polls/${poll.id}/open`, {
      method: 'POST',
      headers: { authorization: admin },
    })
    const rssOf = () => apis.map((replica) => rssMb(replica.pid))
    const rssIdle = rssOf()

    // Each watcher: a raw socket reading the stream, remembering the highest total it has seen.
    const sentAt: number[] = [] // sentAt[k - 1]: when vote k was sent (a broadcast can beat its 201)
    const latencies: number[] = []
    const request = `GET /api/polls/${poll.id}/results/stream HTTP/1.1\r\nHost: localhost\r\nAccept: text/event-stream\r\n\r\n`
    const sockets: Socket[] = []
    let connected = 0
    // Events the API wrote while votes arrived (one per watcher per broadcast): what its CPU pays for.
    let voting = false
    let eventsWhileVoting = 0
    const openWatcher = () =>
      new Promise<void>((resolve, reject) => {
        let seen = 0
        let ready = false
        const port = watcherPorts[sockets.length % watcherPorts.length] ?? 0
        const socket = connect(port, '127.0.0.1', () => socket.write(request))
        socket.setEncoding('utf8')
        socket.on('data', (chunk: string) => {
          const now = performance.now()
          for (const match of chunk.matchAll(/"totalVotes":(\d+)/g)) {
            const total = Number(match[1])
            if (voting) eventsWhileVoting += 1
            if (!ready) {
              ready = true
              connected += 1
              resolve()
            }
            for (let k = seen + 1; k <= total; k += 1) {
              const at = sentAt[k - 1]
              if (at !== undefined) latencies.push(now - at)
            }
            seen = Math.max(seen, total)
          }
        })
        socket.on('error', reject)
        sockets.push(socket)
      })
    log(`opening ${String(watcherCount)} watchers…`)
    const opening = performance.now()
    for (let i = 0; i < watcherCount; i += 500) {
      await Promise.all(Array.from({ length: Math.min(500, watcherCount - i) }, openWatcher))
    }
    log(
      `${String(connected)} watchers live in ${((performance.now() - opening) / 1000).toFixed(1)} s`,
    )
    await new Promise((resolve) => setTimeout(resolve, 1_000))
    const rssWatching = rssOf()

    log(`casting ${String(voteCount)} votes at ${values.rate}/s…`)
    const cpuBefore = apis.map((replica) => cpuSeconds(replica.pid) ?? Number.NaN)
    const interval = 1000 / Number(values.rate)
    const started = performance.now()
    voting = true
    for (let k = 0; k < voteCount; k += 1) {
      const due = started + k * interval
      const wait = due - performance.now()
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait))
      sentAt.push(performance.now())
      const response = await fetch(`${api.url}/api/polls/${poll.id}/votes`, {
        method: 'POST',
        headers: { ...json, authorization: `Bearer ${tokens[k] ?? ''}` },
        body: JSON.stringify({ optionId: poll.options[k % 2]?.id }),
      })
      if (response.status !== 201) throw new Error(`vote ${String(k)}: ${String(response.status)}`)
      await response.arrayBuffer()
    }
    // Let the last broadcast arrive everywhere.
    await new Promise((resolve) => setTimeout(resolve, 2_000 + Number(values.coalesce)))
    const apiCpu = apis.map(
      (replica, i) => (cpuSeconds(replica.pid) ?? Number.NaN) - (cpuBefore[i] ?? Number.NaN),
    )
    voting = false
    const rssPeak = rssOf()
    const expected = watcherCount * voteCount
    const sorted = Float64Array.from(latencies).sort()

    const each = (numbers: number[], digits = 0) =>
      numbers.map((n) => n.toFixed(digits)).join(' / ')
    const watchingMb = rssWatching.reduce((sum, mb, i) => sum + mb - (rssIdle[i] ?? 0), 0)
    const votingSeconds = (performance.now() - started) / 1000
    console.log(
      `\nbench:watchers — ${String(watcherCount)} SSE watchers on ${String(replicas)} API process(es)${nginx ? ', through nginx' : ''}`,
    )
    const report = {
      'watchers connected': connected,
      'votes cast': voteCount,
      'deliveries seen': `${String(latencies.length)} of ${String(expected)} (${((latencies.length / expected) * 100).toFixed(2)} %)`,
      'vote→watcher p50 ms': percentile(sorted, 50).toFixed(0),
      'vote→watcher p99 ms': percentile(sorted, 99).toFixed(0),
      'vote→watcher max ms': percentile(sorted, 100).toFixed(0),
      'RSS idle MB': each(rssIdle),
      'RSS watching MB': each(rssWatching),
      'RSS after votes MB': each(rssPeak),
      'RSS per watcher KB': ((watchingMb * 1024) / watcherCount).toFixed(1),
      'API CPU % while voting': each(apiCpu.map((cpu) => (cpu / votingSeconds) * 100)),
      'events written': eventsWhileVoting,
      // Includes the votes themselves (a few percent of it at the default 20 votes/s).
      'API CPU µs per event': (
        (apiCpu.reduce((sum, cpu) => sum + cpu, 0) * 1e6) /
        Math.max(eventsWhileVoting, 1)
      ).toFixed(1),
      'coalesce ms': values.coalesce,
    }
    for (const [key, value] of Object.entries(report))
      console.log(`  ${key.padEnd(24)} ${String(value)}`)
    for (const socket of sockets) socket.destroy()
  } finally {
    await nginx?.stop()
    await Promise.all(apis.map((replica) => replica.stop()))
  }
} finally {
  await database.drop()
  rmSync(dataDir, { recursive: true, force: true })
}
