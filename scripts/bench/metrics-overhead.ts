// pnpm bench:metrics-overhead [--rounds 4] [--duration 8] [--calls-only]
// What instrumentation costs a vote. First the calls themselves: a request's duration recorded
// (three attributes) and a counter increment, on the real SDK and on the no-op meter, alternated.
// Then the whole system: `pnpm bench:votes` with metrics off and on (served, and scraped every
// second), alternating, round after round in this one run — so a machine that slows down midway
// slows both — printing each pair and the ratios. Asserts nothing.
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { startMetrics } from '@votelab/api/observability/metrics'

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '4' },
    duration: { type: 'string', default: '8' },
    'calls-only': { type: 'boolean', default: false },
  },
})
const ROOT = fileURLToPath(new URL('../../', import.meta.url))

function run(metrics: boolean): { votes: number; cpu: number; p99: number } {
  const bench = spawnSync(
    process.execPath,
    [
      'scripts/bench/votes.ts',
      '--duration',
      values.duration,
      metrics ? '--metrics' : '--no-metrics',
    ],
    { cwd: ROOT, encoding: 'utf8', env: process.env },
  )
  if (bench.status !== 0) throw new Error(`bench:votes failed:\n${bench.stderr}`)
  const number = (label: string) =>
    Number(new RegExp(`${label}\\s+([\\d.]+)`).exec(bench.stdout)?.[1] ?? Number.NaN)
  return { votes: number('votes/s'), cpu: number('API CPU µs per request'), p99: number('p99 ms') }
}

const median = (xs: number[]) => {
  const sorted = [...xs].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2
}

/** Microseconds per call of what a vote request records, on this meter. */
async function callCost(on: boolean): Promise<{ record: number; add: number }> {
  const metrics = await startMetrics(on ? { port: 0 } : {})
  const duration = metrics.meter.createHistogram('http.server.request.duration', { unit: 's' })
  const votes = metrics.meter.createCounter('votelab.votes')
  const calls = 1_000_000
  const attributes = {
    'http.request.method': 'POST',
    'http.route': '/api/polls/:pollId/votes',
    'http.response.status_code': 201,
  }
  let started = performance.now()
  for (let i = 0; i < calls; i++) duration.record(0.01, attributes)
  const record = ((performance.now() - started) * 1000) / calls
  started = performance.now()
  for (let i = 0; i < calls; i++) votes.add(1, { 'votelab.vote.outcome': 'cast' })
  const add = ((performance.now() - started) * 1000) / calls
  await metrics.close()
  return { record, add }
}

console.log('calls     histogram.record µs  counter.add µs')
for (let round = 1; round <= 3; round++) {
  for (const on of [false, true]) {
    const cost = await callCost(on)
    console.log(
      `${on ? 'SDK  ' : 'no-op'}     ${cost.record.toFixed(3).padStart(19)}  ${cost.add.toFixed(3).padStart(14)}`,
    )
  }
}
if (values['calls-only']) process.exit(0)
console.log('')

const throughput: number[] = []
const cpu: number[] = []
console.log('round  off votes/s  on votes/s  on/off   off CPU µs  on CPU µs  on/off')
for (let round = 1; round <= Number(values.rounds); round++) {
  // Which goes first alternates too: neither always gets the warmer machine.
  const offFirst = round % 2 ? run(false) : undefined
  const on = run(true)
  const off = offFirst ?? run(false)
  throughput.push(on.votes / off.votes)
  cpu.push(on.cpu / off.cpu)
  console.log(
    `${String(round).padStart(5)}  ${String(off.votes).padStart(11)}  ${String(on.votes).padStart(10)}  ${(on.votes / off.votes).toFixed(3)}  ${String(off.cpu).padStart(11)}  ${String(on.cpu).padStart(9)}  ${(on.cpu / off.cpu).toFixed(3)}`,
  )
}
console.log(
  `\nmetrics on/off — throughput: median ${median(throughput).toFixed(3)}, CPU per vote: median ${median(cpu).toFixed(3)} (${String(throughput.length)} alternated pairs)`,
)
