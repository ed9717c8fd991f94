// What `pnpm bench:votes --baseline` compares the API with, measured in the same run on the same
// machine (absolute numbers move 2–3× from day to day; ratios within one run do not):
//   - raw Postgres: one INSERT per vote, autocommitted, from as many connections as the load has
//     (pgbench's shape): what the database alone sustains for the simplest possible vote;
//   - a bare Hono POST: @hono/node-server parsing a JSON body and answering 201, in a process of
//     its own (the ceiling of an HTTP vote on this runtime, doing no work).
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import pg from 'pg'
import { freePort } from '@votelab/testkit/ports'
import { waitForHttp } from '@votelab/testkit/wait'
import { percentile, runLoad } from './load.ts'

export interface BaselineReport {
  perSecond: number
  p50: number
  p99: number
}

const summarize = (count: number, seconds: number, latencies: number[]): BaselineReport => {
  const sorted = Float64Array.from(latencies).sort()
  return {
    perSecond: Math.round(count / seconds),
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
  }
}

/** One-statement votes into a table of the same shape as the ballots' unique key. */
export async function rawPostgresVotes(
  databaseUrl: string,
  options: { connections: number; durationSeconds: number },
): Promise<BaselineReport> {
  const setup = new pg.Client({ connectionString: databaseUrl })
  await setup.connect()
  await setup.query(`create table bench_raw_votes (
    poll_id uuid not null, voter_sub text not null, option_id uuid not null,
    cast_at timestamptz not null default now(), primary key (poll_id, voter_sub))`)
  await setup.end()
  const poll = crypto.randomUUID()
  const option = crypto.randomUUID()
  const clients = await Promise.all(
    Array.from({ length: options.connections }, async () => {
      const client = new pg.Client({ connectionString: databaseUrl })
      await client.connect()
      return client
    }),
  )
  const latencies: number[] = []
  let next = 0
  const started = performance.now()
  const deadline = started + options.durationSeconds * 1000
  try {
    await Promise.all(
      clients.map(async (client) => {
        while (performance.now() < deadline) {
          const sent = performance.now()
          await client.query({
            name: 'vote',
            text: 'insert into bench_raw_votes (poll_id, voter_sub, option_id) values ($1, $2, $3) on conflict do nothing',
            values: [poll, `voter-${String(next++)}`, option],
          })
          latencies.push(performance.now() - sent)
        }
      }),
    )
  } finally {
    await Promise.all(clients.map((client) => client.end()))
  }
  return summarize(latencies.length, (performance.now() - started) / 1000, latencies)
}

/** The same closed-loop load against a Hono app that only parses the vote and answers 201. */
export async function bareHonoPosts(options: {
  connections: number
  durationSeconds: number
}): Promise<BaselineReport> {
  const port = await freePort()
  const server = spawn(
    process.execPath,
    [fileURLToPath(new URL('./bare-hono.ts', import.meta.url)), String(port)],
    { stdio: 'inherit' },
  )
  try {
    const url = `http://127.0.0.1:${String(port)}`
    if (
      !(await waitForHttp(`${url}/healthz`, {
        alive: () => server.exitCode === null,
        timeoutMs: 10_000,
      }))
    ) {
      throw new Error('the bare Hono server did not start')
    }
    const body = JSON.stringify({ optionId: crypto.randomUUID() })
    const load = await runLoad([url], {
      connections: options.connections,
      durationSeconds: options.durationSeconds,
      nextRequest: () => ({
        method: 'POST',
        path: '/votes',
        headers: { 'content-type': 'application/json' },
        body,
      }),
    })
    const answered = load.statuses.get(201) ?? 0
    return {
      perSecond: Math.round(answered / load.elapsedSeconds),
      p50: percentile(load.latencies, 50),
      p99: percentile(load.latencies, 99),
    }
  } finally {
    server.kill()
  }
}
