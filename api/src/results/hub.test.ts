import { pino } from 'pino'
import { describe, expect, it } from 'vitest'
import type { Results } from './schemas.ts'
import { ResultsHub } from './hub.ts'

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** `loadMs`: how long each load takes, or each load's own time in turn (the last one after). */
function hubWithCounter(coalesceMs: number, loadMs: number | number[] = 0) {
  let tally = 0
  let loads = 0
  const hub = new ResultsHub({
    coalesceMs,
    logger: pino({ level: 'silent' }),
    loadResults: async (pollId) => {
      loads += 1
      const snapshot = tally
      await sleep(Array.isArray(loadMs) ? (loadMs[loads - 1] ?? loadMs.at(-1) ?? 0) : loadMs)
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

  it('gives watchers arriving together one shared load, which then stands as the latest tally', async () => {
    const { hub, vote, loads } = hubWithCounter(10, 30)
    vote()
    const stops = Array.from({ length: 100 }, () => hub.watch('p', () => undefined))
    const firsts = await Promise.all(stops.map(() => hub.first('p')))
    expect(loads()).toBe(1)
    expect(new Set(firsts).size).toBe(1)
    expect(firsts[0]?.results.totalVotes).toBe(1)
    expect(hub.latest('p')).toBe(firsts[0])
    // Checks for a missing poll share it too, and a known tally costs nothing.
    await Promise.all(Array.from({ length: 100 }, () => hub.peek('p')))
    expect(loads()).toBe(1)
    hub.close()
  })

  it('shares checks before anyone watches, but never shows a watcher a load that began unwatched', async () => {
    const { hub, loads } = hubWithCounter(10, 30)
    const checks = Array.from({ length: 50 }, () => hub.peek('p'))
    // This watcher arrives while the unwatched load runs: a change in between would have been
    // nobody's to broadcast, so it waits for a load of its own.
    hub.watch('p', () => undefined)
    const first = hub.first('p')
    await Promise.all(checks)
    await first
    expect(loads()).toBe(2)
    expect(hub.latest('p')).toBe(await first)
    hub.close()
  })

  it('never lets a slow first load replace a newer broadcast', async () => {
    // The first load takes 100 ms; the broadcast's, 10.
    const { hub, vote } = hubWithCounter(1, [100, 10])
    const seen: number[] = []
    hub.watch('p', (r) => seen.push(r.totalVotes))
    const first = hub.first('p') // reads tally 0, answers late
    vote()
    hub.pollChanged('p')
    await expect.poll(() => seen).toEqual([1])
    expect((await first)?.results.totalVotes).toBe(0)
    expect(hub.latest('p')?.results.totalVotes).toBe(1)
    hub.close()
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
