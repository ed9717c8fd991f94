import { randomBytes } from 'node:crypto'
import { readdirSync, readFileSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import { Worker } from 'node:worker_threads'
import pg from 'pg'
import { Replica } from '../stack/stack.ts'

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
      try {
        // An autovacuum worker (the superuser's) may hold the database for a moment: 42501.
        for (let attempt = 1; ; attempt++) {
          try {
            await client.query(`drop database if exists ${name} with (force)`)
            return
          } catch (error) {
            if ((error as { code?: string }).code !== '42501' || attempt >= 20) throw error
            await new Promise((resolve) => setTimeout(resolve, 250))
          }
        }
      } finally {
        await client.end()
      }
    },
  }
}

/**
 * Starts `node api/src/server.ts` on `env.PORT` (a replica of the local stack) and resolves once
 * it is ready. BENCH_API_NODE_OPTIONS (e.g. `--cpu-prof`) profiles the API under load.
 */
export async function startApi(env: Record<string, string>): Promise<Replica> {
  const replica = new Replica(Number(env.PORT ?? 3000), {
    LOG_LEVEL: 'warn',
    NODE_OPTIONS: process.env.BENCH_API_NODE_OPTIONS ?? '',
    ...env,
  })
  await replica.start()
  return replica
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
