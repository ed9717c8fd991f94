// What `pnpm bench:votes --baseline` compares the API with, measured in the same run on the same
// machine (absolute numbers move 2–3× from day to day; ratios within one run do not):
//   - raw Postgres: one INSERT per vote, autocommitted, from as many connections as the load has
//     (pgbench's shape): what the database alone sustains for the simplest possible vote;
//   - a bare Hono POST: @hono/node-server parsing a JSON body and answering 201, in a process of
//     its own (the ceiling of an HTTP vote on this runtime, doing no work);
//   - the least a correct vote does (minimal-vote.ts): that POST plus jose verifying the voter's
//     token and one INSERT through a pool — what no vote can skip, so the API's extra cost is
//     the ratio to it.
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

/** A votes table with the ballots' unique key (one vote per poll and voter), for a baseline. */
async function createVotesTable(databaseUrl: string, table: string): Promise<void> {
  const setup = new pg.Client({ connectionString: databaseUrl })
  await setup.connect()
  try {
    await setup.query(`create table ${table} (
      poll_id uuid not null, voter_sub text not null, option_id uuid not null,
      cast_at timestamptz not null default now(), primary key (poll_id, voter_sub))`)
  } finally {
    await setup.end()
  }
}

/** One-statement votes into a table of the same shape as the ballots' unique key. */
export async function rawPostgresVotes(
  databaseUrl: string,
  options: { connections: number; durationSeconds: number },
): Promise<BaselineReport> {
  await createVotesTable(databaseUrl, 'bench_raw_votes')
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

/** A server script of this folder in a process of its own, once its /healthz answers. */
export async function startServer(
  script: string,
  env: Record<string, string> = {},
  nodeOptions: string[] = [],
) {
  const port = await freePort()
  const server = spawn(
    process.execPath,
    [...nodeOptions, fileURLToPath(new URL(script, import.meta.url)), String(port)],
    { stdio: 'inherit', env: { ...process.env, ...env } },
  )
  const url = `http://127.0.0.1:${String(port)}`
  const alive = () => server.exitCode === null
  if (!(await waitForHttp(`${url}/healthz`, { alive, timeoutMs: 10_000 }))) {
    server.kill()
    throw new Error(`${script} did not start`)
  }
  return { url, port, pid: server.pid, stop: () => server.kill() }
}

/** The closed-loop load on one server, reported like the API's. */
async function measure(
  url: string,
  options: { connections: number; durationSeconds: number },
  nextRequest: (i: number) => { path: string; headers: Record<string, string>; body: string },
  counted: number[] = [201],
): Promise<BaselineReport> {
  const load = await runLoad([url], {
    connections: options.connections,
    durationSeconds: options.durationSeconds,
    nextRequest: (i) => ({ method: 'POST', ...nextRequest(i) }),
  })
  const answered = counted.reduce((sum, status) => sum + (load.statuses.get(status) ?? 0), 0)
  return {
    perSecond: Math.round(answered / load.elapsedSeconds),
    p50: percentile(load.latencies, 50),
    p99: percentile(load.latencies, 99),
  }
}

/** The same closed-loop load against a Hono app that only parses the vote and answers 201. */
export async function bareHonoPosts(options: {
  connections: number
  durationSeconds: number
}): Promise<BaselineReport> {
  const server = await startServer('./bare-hono.ts')
  try {
    const body = JSON.stringify({ optionId: crypto.randomUUID() })
    return await measure(server.url, options, () => ({
      path: '/votes',
      headers: { 'content-type': 'application/json' },
      body,
    }))
  } finally {
    server.stop()
  }
}

/**
 * The same load against the least a correct vote does: the token verified, one row inserted
 * (minimal-vote.ts), one vote per voter token as the API's load has.
 */
export async function minimalVotes(
  databaseUrl: string,
  options: {
    connections: number
    durationSeconds: number
    issuer: string
    jwks: unknown
    tokens: string[]
  },
): Promise<BaselineReport> {
  await createVotesTable(databaseUrl, 'bench_minimal_votes')
  const server = await startServer('./minimal-vote.ts', {
    DATABASE_URL: databaseUrl,
    POOL_SIZE: String(options.connections),
    ISSUER: options.issuer,
    JWKS: JSON.stringify(options.jwks),
  })
  try {
    const poll = crypto.randomUUID()
    const body = JSON.stringify({ optionId: crypto.randomUUID() })
    // Past the last token voters repeat: a 409 did the same work (verified, checked the row), so
    // it counts here, where the API's own figure counts 201s only.
    return await measure(
      server.url,
      options,
      (i) => ({
        path: `/polls/${poll}/votes`,
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer ${options.tokens[i % options.tokens.length] ?? ''}`,
        },
        body,
      }),
      [201, 409],
    )
  } finally {
    server.stop()
  }
}
