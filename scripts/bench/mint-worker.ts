// Mints a slice of the benchmark's voter tokens on another core.
import { parentPort, workerData } from 'node:worker_threads'
import { loadLocalIssuer } from '@votelab/api/auth/local-issuer'
import { voterSub } from './voter-ids.ts'

const { issuer, dataDir, prefix, groups, from, to } = workerData as {
  issuer: string
  dataDir: string
  /** Undefined: UUID subjects, for voters with accounts. */
  prefix: string | undefined
  groups: string[]
  from: number
  to: number
}
const local = await loadLocalIssuer(issuer, dataDir)
const tokens: string[] = []
for (let i = from; i < to; i++)
  tokens.push(await local.mintAccessToken({ sub: voterSub(prefix, i), groups }))
parentPort?.postMessage(tokens)
