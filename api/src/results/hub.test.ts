import { pino } from 'pino'
import { describe, expect, it } from 'vitest'
import type { Results } from './schemas.ts'
import { ResultsHub } from './hub.ts'

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

function hubWithCounter(coalesceMs: number, loadMs = 0) {
  let tally = 0
  let loads = 0
  const hub = new ResultsHub({
    coalesceMs,
    logger: pino({ level: 'silent' }),
    loadResults: async (pollId) => {
      loads += 1
      const snapshot = tally
      await sleep(loadMs)
      return {
        pollId,
        status: 'open',
        resultsVisibility: 'live',
        totalVotes: snapshot,
        options: [],
        turnout: { ballots: snapshot, eligible: null },
        asOf: new Date().toISOString(),
        chain: null,
      } satisfies Results
    },
  })
  return { hub, vote: () => (tally += 1), loads: () => loads }
}

describe('ResultsHub', () => {
  it('recomputes once per tick for all watchers, not once per vote per watcher', async () => {
    const { hub, vote, loads } = hubWithCounter(100)
    const seen: number[][] = [[], [], []]
    seen.forEach((list) => hub.watch('p', (r) => list.push(r.totalVotes)))
    for (let i = 0; i < 500; i++) {
      vote()
      hub.pollChanged('p')
      if (i % 100 === 0) await sleep(30)
    }
    await sleep(250)
    expect(loads()).toBeLessThanOrEqual(4)
    for (const list of seen) expect(list.at(-1)).toBe(500)
    hub.close()
  })

  it('delivers the final state when a change lands during a slow recompute', async () => {
    const { hub, vote } = hubWithCounter(10, 50)
    const seen: number[] = []
    hub.watch('p', (r) => seen.push(r.totalVotes))
    vote()
    hub.pollChanged('p')
    await sleep(20) // the first load is running and has read tally = 1
    vote()
    hub.pollChanged('p')
    await sleep(200)
    expect(seen.at(-1)).toBe(2)
    hub.close()
  })

  it('ignores polls nobody watches and stops work when the last watcher leaves', async () => {
    const { hub, loads } = hubWithCounter(10)
    hub.pollChanged('unwatched')
    const stop = hub.watch('p', () => undefined)
    stop()
    hub.pollChanged('p')
    await sleep(50)
    expect(loads()).toBe(0)
    expect(hub.watcherCount).toBe(0)
  })

  it('keeps trying after a failed recompute and runs close handlers once', async () => {
    let fail = true
    const hub = new ResultsHub({
      coalesceMs: 10,
      logger: pino({ level: 'silent' }),
      loadResults: (pollId) => {
        if (fail) return Promise.reject(new Error('database restarting'))
        return Promise.resolve({
          pollId,
          status: 'open',
          resultsVisibility: 'live',
          totalVotes: 7,
          options: [],
          turnout: { ballots: 7, eligible: null },
          asOf: new Date().toISOString(),
          chain: null,
        })
      },
    })
    const seen: number[] = []
    hub.watch('p', (r) => seen.push(r.totalVotes))
    hub.pollChanged('p')
    await sleep(50)
    fail = false
    await expect.poll(() => seen, { timeout: 3_000 }).toEqual([7])
    let closes = 0
    hub.onClose(() => (closes += 1))
    hub.close()
    hub.close()
    expect(closes).toBe(1)
  })
})
