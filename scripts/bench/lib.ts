import { readdirSync, readFileSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import { Worker } from 'node:worker_threads'
import { join } from 'node:path'
import { Replica } from '@votelab/testkit/local-stack'
import { startNginx, type NginxProxy } from '@votelab/testkit/nginx'
import { freePort } from '@votelab/testkit/ports'

export { createScratchDatabase } from '@votelab/testkit/scratch-database'

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

/**
 * `count` replicas on consecutive ports from `firstPort`, sharing the database and the issuer key
 * (as ECS tasks share RDS and Cognito); `env(i)` adds each one's settings. The first is returned
 * apart: benches create their poll through it.
 */
export async function startReplicas(
  count: number,
  firstPort: number,
  env: (index: number) => Record<string, string>,
): Promise<{ first: Replica; all: Replica[] }> {
  const all = await Promise.all(
    Array.from({ length: count }, (_, i) => startApi({ PORT: String(firstPort + i), ...env(i) })),
  )
  const first = all[0]
  if (!first) throw new Error('--replicas must be at least 1')
  return { first, all }
}

/** nginx in front of the replicas, as in `pnpm stack:local` (its files under `dataDir`). */
export async function startBalancer(replicas: Replica[], dataDir: string): Promise<NginxProxy> {
  return startNginx({
    dir: join(dataDir, 'nginx'),
    port: await freePort(),
    upstreams: replicas.map((replica) => Number(new URL(replica.url).port)),
    webDist: dataDir,
  })
}

/** Mints `count` voter tokens (`prefix-0` …) on every core, from the issuer key in `dataDir`. */
export async function mintVoterTokens(
  issuer: string,
  dataDir: string,
  /** Undefined: UUID subjects (voter-ids.ts), for voters with accounts. */
  prefix: string | undefined,
  count: number,
  groups: readonly string[] = [],
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
          groups,
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
