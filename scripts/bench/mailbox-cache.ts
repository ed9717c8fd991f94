// pnpm bench:mailbox-cache [--voters 100000]
// What remembering voters' verified mailboxes costs (auth/verified-email.ts): the heap a full
// cache takes, and the time of a lookup that hits it, against a baseline Map of the same keys
// (the least any per-voter cache could take). Prints numbers; asserts nothing.
import { parseArgs } from 'node:util'
import { verifiedMailboxes } from '@votelab/api/auth/verified-email'

const { values } = parseArgs({ options: { voters: { type: 'string', default: '100000' } } })
const voters = Number(values.voters)
const gc = (globalThis as { gc?: () => void }).gc
if (!gc) {
  console.error('run with node --expose-gc (pnpm bench:mailbox-cache does)')
  process.exit(1)
}
const sub = (i: number) => `00000000-0000-4000-8000-${i.toString(16).padStart(12, '0')}`
const principal = (i: number) => ({
  sub: sub(i),
  username: sub(i),
  groups: [],
  clientId: 'votelab-web',
  scopes: [],
})
const heap = () => {
  gc()
  return process.memoryUsage().heapUsed
}

const before = heap()
const cache = verifiedMailboxes({
  lookup: (voter) =>
    Promise.resolve({
      sub: voter.sub,
      email: `voter${voter.sub.slice(-6)}+polls@bench.example`,
      email_verified: true,
    }),
  maxEntries: voters,
})
for (let i = 0; i < voters; i += 1) await cache(principal(i), 'token')
const cacheBytes = heap() - before

const baselineBefore = heap()
const baseline = new Map<string, string>()
for (let i = 0; i < voters; i += 1) baseline.set(sub(i), `voter${String(i)}@bench.example`)
const baselineBytes = heap() - baselineBefore

const started = performance.now()
const hits = 200_000
for (let i = 0; i < hits; i += 1) await cache(principal(i % voters), 'token')
const hitNs = ((performance.now() - started) * 1e6) / hits

// Both stay reachable until here, or the collector would free them before they are measured.
if (baseline.size !== cache.size()) throw new Error('the cache lost voters')
console.log(`\nbench:mailbox-cache — ${voters.toLocaleString('en')} voters remembered`)
console.log(`  cache entries          ${cache.size().toLocaleString('en')}`)
console.log(
  `  heap, cache            ${(cacheBytes / 1e6).toFixed(1)} MB (${Math.round(cacheBytes / voters)} B per voter)`,
)
console.log(
  `  heap, plain Map        ${(baselineBytes / 1e6).toFixed(1)} MB (${Math.round(baselineBytes / voters)} B per voter)`,
)
console.log(`  cache / plain Map      ${(cacheBytes / baselineBytes).toFixed(2)}`)
console.log(`  lookup, cache hit      ${Math.round(hitNs)} ns`)
