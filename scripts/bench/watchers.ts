// pnpm bench:watchers [--watchers 10000] [--votes 200] [--rate 20] [--port 3200] [--replicas 1]
//                     [--via nginx|direct] [--heap-mb 512] [--frames counts|results]
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
import { Worker } from 'node:worker_threads'
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
    via: {
      type: 'string',
      description:
        '`nginx` or `direct`; by default nginx with more than one replica (when installed), direct with one',
    },
    frames: {
      type: 'string',
      default: 'counts',
      description:
        '`counts` (what the web page asks for: numbers-only events between full snapshots) or `results` (a full snapshot every time)',
    },
    'heap-mb': {
      type: 'string',
      default: '512',
      description:
        "V8's old-space limit for each API process: 512 is what Node gives itself in a 1 GB task " +
        '(it sizes the heap from the container’s memory; on a bigger host it would grow lazily ' +
        'towards GBs, and RSS would measure that instead of the watchers); 0 for Node’s own choice',
    },
    coalesce: {
      type: 'string',
      default: '150',
      description: 'RESULTS_COALESCE_MS (the API defaults to 250; 150 keeps these runs comparable)',
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
    NODE_OPTIONS: [
      process.env.BENCH_API_NODE_OPTIONS ?? '',
      values['heap-mb'] === '0' ? '' : `--max-old-space-size=${values['heap-mb']}`,
    ].join(' '),
    RATE_LIMIT_ADDRESS_WRITES_PER_MINUTE: '0',
    // Every watcher comes from this one address, past any production cap.
    STREAMS_PER_ADDRESS: '0',
    STREAMS_PER_PROCESS: '0',
  }))
  let nginx: NginxProxy | undefined
  try {
    const viaNginx = values.via ? values.via === 'nginx' : replicas > 1 && Boolean(nginxBinary())
    if (viaNginx) nginx = await startBalancer(apis, dataDir)
    // Where watchers connect: nginx, or each replica in turn.
    const watcherPorts = nginx
      ? [Number(new URL(nginx.url).port)]
      : apis.map((replica) => Number(new URL(replica.url).port))
    const admin = `Bearer ${await issuer.mintAccessToken({ sub: 'bench-admin', groups: ['admins'] })}`
    const json = { 'content-type': 'application/json' }
    const openPoll = async (title: string) => {
      const created = await fetch(`${api.url}/api/polls`, {
        method: 'POST',
        headers: { ...json, authorization: admin },
        body: JSON.stringify({ title, options: ['A', 'B'] }),
      })
      const opened = (await created.json()) as { id: string; options: { id: string }[] }
      await fetch(`${api.url}/api/polls/${opened.id}/open`, {
        method: 'POST',
        headers: { authorization: admin },
      })
      return opened
    }
    const poll = await openPoll('Watched')
    /** Votes at `values.rate` per second from another thread: when each was sent, and its time to the 201 (ms). */
    const castVotes = (pollId: string, options: { id: string }[]) =>
      new Promise<{ sentAt: number[]; took: Float64Array }>((resolve, reject) => {
        const worker = new Worker(new URL('./vote-caster.ts', import.meta.url), {
          workerData: {
            url: api.url,
            pollId,
            optionIds: options.map((option) => option.id),
            tokens,
            rate: Number(values.rate),
          },
        })
        worker.once('message', (result: { sentAt: number[]; took: number[] }) => {
          resolve({ sentAt: result.sentAt, took: Float64Array.from(result.took).sort() })
        })
        worker.once('error', reject)
      })
    // The same votes with nobody watching (another poll, the same voters): the baseline that
    // votes cast during broadcasts are compared with.
    log(`casting ${String(voteCount)} votes at ${values.rate}/s with no watchers…`)
    const unwatched = await openPoll('Unwatched')
    const idleVotes = (await castVotes(unwatched.id, unwatched.options)).took
    const rssOf = () => apis.map((replica) => rssMb(replica.pid))
    const rssIdle = rssOf()

    // Each watcher: a raw socket reading the stream, noting when each new total arrived (its
    // votes' latencies are worked out once the caster says when it sent them).
    const arrivals = { from: [] as number[], to: [] as number[], at: [] as number[] }
    const request = `GET /api/polls/${poll.id}/results/stream?frames=${values.frames} HTTP/1.1\r\nHost: localhost\r\nAccept: text/event-stream\r\n\r\n`
    const sockets: Socket[] = []
    let connected = 0
    // Events the API wrote while votes arrived (one per watcher per broadcast): what its CPU pays for.
    let voting = false
    let eventsWhileVoting = 0
    let bytesWhileVoting = 0
    const openWatcher = () =>
      new Promise<void>((resolve, reject) => {
        let seen = 0
        let ready = false
        const port = watcherPorts[sockets.length % watcherPorts.length] ?? 0
        const socket = connect(port, '127.0.0.1', () => socket.write(request))
        socket.setEncoding('utf8')
        socket.on('data', (chunk: string) => {
          const now = performance.timeOrigin + performance.now()
          if (voting) bytesWhileVoting += Buffer.byteLength(chunk)
          for (const match of chunk.matchAll(/"totalVotes":(\d+)/g)) {
            const total = Number(match[1])
            if (voting) eventsWhileVoting += 1
            if (!ready) {
              ready = true
              connected += 1
              resolve()
            }
            if (total > seen) {
              arrivals.from.push(seen)
              arrivals.to.push(total)
              arrivals.at.push(now)
              seen = total
            }
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
    const started = performance.now()
    voting = true
    const { sentAt, took: watchedVotes } = await castVotes(poll.id, poll.options)
    // Let the last broadcast arrive everywhere.
    await new Promise((resolve) => setTimeout(resolve, 2_000 + Number(values.coalesce)))
    const apiCpu = apis.map(
      (replica, i) => (cpuSeconds(replica.pid) ?? Number.NaN) - (cpuBefore[i] ?? Number.NaN),
    )
    voting = false
    const rssPeak = rssOf()
    const expected = watcherCount * voteCount
    const latencies: number[] = []
    arrivals.at.forEach((at, i) => {
      for (let k = (arrivals.from[i] ?? 0) + 1; k <= (arrivals.to[i] ?? 0); k += 1) {
        const sent = sentAt[k - 1]
        if (sent !== undefined) latencies.push(at - sent)
      }
    })
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
      'bytes per event': (bytesWhileVoting / Math.max(eventsWhileVoting, 1)).toFixed(0),
      // Includes the votes themselves (a few percent of it at the default 20 votes/s).
      'API CPU µs per event': (
        (apiCpu.reduce((sum, cpu) => sum + cpu, 0) * 1e6) /
        Math.max(eventsWhileVoting, 1)
      ).toFixed(1),
      'vote p50 / p99 ms, idle': `${percentile(idleVotes, 50).toFixed(1)} / ${percentile(idleVotes, 99).toFixed(1)}`,
      'vote p50 / p99 ms, watched': `${percentile(watchedVotes, 50).toFixed(1)} / ${percentile(watchedVotes, 99).toFixed(1)}`,
      'coalesce ms': values.coalesce,
      frames: values.frames,
      'V8 old space MB': values['heap-mb'] === '0' ? 'Node’s default' : values['heap-mb'],
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
