import { spawn, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { readdirSync, readFileSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import { fileURLToPath } from 'node:url'
import { Worker } from 'node:worker_threads'
import pg from 'pg'

export const root = fileURLToPath(new URL('../../', import.meta.url))

/** A throwaway database on the server DATABASE_URL points at, dropped afterwards. */
export async function createScratchDatabase(
  serverUrl: string,
): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `votelab_bench_${randomBytes(4).toString('hex')}`
  const admin = new pg.Client({ connectionString: serverUrl })
  await admin.connect()
  await admin.query(`create database ${name}`)
  await admin.end()
  const url = new URL(serverUrl)
  url.pathname = `/${name}`
  return {
    url: url.toString(),
    async drop() {
      const client = new pg.Client({ connectionString: serverUrl })
      await client.connect()
      await client.query(`drop database if exists ${name} with (force)`)
      await client.end()
    },
  }
}

export interface ApiProcess {
  url: string
  child: ChildProcess
  stop(): Promise<void>
}

/** Starts `node api/src/server.ts` and resolves once it listens. */
export async function startApi(env: Record<string, string>): Promise<ApiProcess> {
  const child = spawn(process.execPath, [`${root}api/src/server.ts`], {
    env: {
      ...process.env,
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      // e.g. BENCH_API_NODE_OPTIONS=--cpu-prof to profile the API under load
      NODE_OPTIONS: process.env.BENCH_API_NODE_OPTIONS ?? '',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const port = env.PORT ?? '3000'
  const url = `http://127.0.0.1:${port}`
  child.stdout?.on('data', (chunk: Buffer) => process.stderr.write(chunk))
  for (let attempt = 0; ; attempt++) {
    try {
      if ((await fetch(`${url}/readyz`)).ok) break
    } catch {
      // not listening yet
    }
    if (child.exitCode !== null || attempt > 300) throw new Error('the API did not start')
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  return {
    url,
    child,
    async stop() {
      child.kill('SIGTERM')
      await exited
    },
  }
}

/** Mints `count` voter tokens (`prefix-0` …) on every core, from the issuer key in `dataDir`. */
export async function mintVoterTokens(
  issuer: string,
  dataDir: string,
  prefix: string,
  count: number,
): Promise<string[]> {
  const workers = Math.max(1, availableParallelism())
  const slice = Math.ceil(count / workers)
  const parts = await Promise.all(
    Array.from({ length: workers }, (_, w) => {
      const worker = new Worker(new URL('./mint-worker.ts', import.meta.url), {
        workerData: {
          issuer,
          dataDir,
          prefix,
          from: w * slice,
          to: Math.min(count, (w + 1) * slice),
        },
      })
      return new Promise<string[]>((resolve, reject) => {
        worker.once('message', (tokens: string[]) => {
          resolve(tokens)
          void worker.terminate()
        })
        worker.once('error', reject)
      })
    }),
  )
  return parts.flat()
}

/** CPU seconds of a process and its direct children (nginx: master and workers); Linux only. */
export function cpuSecondsWithChildren(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined
  let total = cpuSeconds(pid) ?? 0
  try {
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? []
      if (Number(stat[1]) === pid) total += cpuSeconds(Number(entry)) ?? 0
    }
  } catch {
    return undefined
  }
  return total
}

/** CPU seconds (user + system) a process has used so far; Linux only, else undefined. */
export function cpuSeconds(pid: number | undefined): number | undefined {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? []
    // utime and stime are fields 14 and 15 of the whole line, in clock ticks (100 per second here).
    return (Number(fields[11]) + Number(fields[12])) / 100
  } catch {
    return undefined
  }
}
