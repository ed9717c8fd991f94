// Casts the watchers bench's votes from a thread of its own: the main thread reads 10,000
// streams, and a vote timed there would wait behind that reading, not behind the API.
import { parentPort, workerData } from 'node:worker_threads'

const { url, pollId, optionIds, tokens, rate } = workerData as {
  url: string
  pollId: string
  optionIds: string[]
  tokens: string[]
  rate: number
}
/** Comparable across threads: each thread's performance.now() starts at its own origin. */
const now = () => performance.timeOrigin + performance.now()
const sentAt: number[] = []
const took: number[] = []
const interval = 1000 / rate
const started = performance.now()
for (let k = 0; k < tokens.length; k += 1) {
  const wait = started + k * interval - performance.now()
  if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait))
  const sent = now()
  sentAt.push(sent)
  const response = await fetch(`${url}/api/polls/${pollId}/votes`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${tokens[k] ?? ''}` },
    body: JSON.stringify({ optionId: optionIds[k % optionIds.length] }),
  })
  if (response.status !== 201) throw new Error(`vote ${String(k)}: ${String(response.status)}`)
  await response.arrayBuffer()
  took.push(now() - sent)
}
parentPort?.postMessage({ sentAt, took })
