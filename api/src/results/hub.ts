import { createNoopMeter, type Meter } from '@opentelemetry/api'
import type { Logger } from 'pino'
import type { Results } from './schemas.ts'

/**
 * How long a broadcast holds the event loop before letting requests in (ms, checked every
 * FANOUT_CHECK watchers): at ~8 µs a watcher, ~120 writes. Measured against 4 ms slices (the
 * 500 watchers it used to be) with 10,000 watchers: votes' p50 while broadcasting 12–14 → 5–7 ms,
 * p99 29–32 → 19–26 ms, at the same CPU per event (docs/operations.md).
 */
const FANOUT_SLICE_MS = 1
const FANOUT_CHECK = 32

/** Receives each broadcast, and the same tally as JSON, serialized once for every watcher. */
type Listener = (results: Results, json: string) => void

/** A tally and its JSON, serialized once for everyone shown it. */
export interface Snapshot {
  results: Results
  json: string
}

/** A load of a poll's tally that several new watchers wait for together. */
interface SharedLoad {
  snapshot: Promise<Snapshot | undefined>
  /** The poll's watch when it started, if it had one: only then can it serve as `latest`. */
  watch: PollWatch | undefined
}

interface PollWatch {
  listeners: Set<Listener>
  /**
   * The last broadcast, or the first load its watchers shared (`first`): what a new watcher can
   * be shown without asking the database.
   */
  latest: Snapshot | undefined
  dirty: boolean
  running: boolean
  timer: NodeJS.Timeout | undefined
  lastRun: number
}

export interface ResultsHubOptions {
  loadResults: (pollId: string) => Promise<Results | undefined>
  /** At most one tally per poll per this many milliseconds, whatever the vote rate. */
  coalesceMs: number
  logger: Logger
  /** Where its metrics go (observability/metrics.ts); none by default. */
  meter?: Meter
}

const SECONDS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5]

/**
 * Fans results out to the watchers of each poll. Change notices only mark a poll dirty; the
 * tally is recomputed once per coalescing tick and the same snapshot goes to every watcher.
 * A notice that arrives while a tally runs marks the poll dirty again, so the last change is
 * always followed by one more broadcast: the final state is never dropped.
 */
export class ResultsHub {
  private readonly polls = new Map<string, PollWatch>()
  private readonly loads = new Map<string, SharedLoad>()
  private readonly closeHandlers = new Set<() => void>()
  private readonly options: ResultsHubOptions
  private closed = false
  private readonly broadcastDuration

  constructor(options: ResultsHubOptions) {
    this.options = options
    const meter = options.meter ?? createNoopMeter()
    meter
      .createObservableGauge('votelab.results.watchers', {
        description: 'Open live-result streams',
        unit: '{watcher}',
      })
      .addCallback((result) => {
        result.observe(this.watcherCount)
      })
    // From the tally's query to the last watcher handed the event: a vote's way to the screens.
    this.broadcastDuration = meter.createHistogram('votelab.results.broadcast.duration', {
      description: 'Time to tally a poll and hand the result to every watcher',
      unit: 's',
      advice: { explicitBucketBoundaries: SECONDS },
    })
  }

  get watcherCount(): number {
    let count = 0
    for (const watch of this.polls.values()) count += watch.listeners.size
    return count
  }

  /** Starts delivering a poll's results to `listener`; returns the function that stops it. */
  watch(pollId: string, listener: Listener): () => void {
    let watch = this.polls.get(pollId)
    if (!watch) {
      watch = {
        listeners: new Set(),
        latest: undefined,
        dirty: false,
        running: false,
        timer: undefined,
        lastRun: 0,
      }
      this.polls.set(pollId, watch)
    }
    watch.listeners.add(listener)
    return () => {
      const current = this.polls.get(pollId)
      if (!current) return
      current.listeners.delete(listener)
      if (current.listeners.size === 0) {
        clearTimeout(current.timer)
        this.polls.delete(pollId)
      }
    }
  }

  /**
   * The poll's last broadcast (or shared first load), if any watcher is registered: current
   * unless a change is pending, and a pending change is always followed by a broadcast to every
   * watcher.
   */
  latest(pollId: string): Snapshot | undefined {
    return this.polls.get(pollId)?.latest
  }

  /**
   * The poll's tally for deciding whether it may be watched at all (missing, or a draft): the
   * last broadcast, or a load already under way for anyone — an audience reconnecting at once
   * (a task replaced) costs one query per poll, not one per watcher.
   */
  peek(pollId: string): Promise<Snapshot | undefined> {
    const latest = this.latest(pollId)
    if (latest) return Promise.resolve(latest)
    return (this.loads.get(pollId) ?? this.load(pollId)).snapshot
  }

  /**
   * What a watcher registered with `watch` is shown first: the last broadcast, or a load that
   * started once the poll had watchers, shared with every watcher arriving meanwhile. Any change
   * after such a load started is followed by a broadcast to all of them, so the load may stand
   * as the poll's `latest` until then; a load started before anyone watched may have missed a
   * change nobody was told of, so it is not used here.
   */
  first(pollId: string): Promise<Snapshot | undefined> {
    const latest = this.latest(pollId)
    if (latest) return Promise.resolve(latest)
    const shared = this.loads.get(pollId)
    const watch = this.polls.get(pollId)
    if (shared?.watch && shared.watch === watch) return shared.snapshot
    return this.load(pollId).snapshot
  }

  private load(pollId: string): SharedLoad {
    const watch = this.polls.get(pollId)
    const snapshot = this.options.loadResults(pollId).then((results) => {
      if (!results) return undefined
      const loaded = { results, json: JSON.stringify(results) }
      // A broadcast that landed meanwhile is at least as new; never replace it.
      if (watch && this.polls.get(pollId) === watch && !watch.latest) watch.latest = loaded
      return loaded
    })
    const shared: SharedLoad = { snapshot, watch }
    this.loads.set(pollId, shared)
    const forget = () => {
      if (this.loads.get(pollId) === shared) this.loads.delete(pollId)
    }
    snapshot.then(forget, forget)
    return shared
  }

  /** A vote or a status change touched this poll. */
  pollChanged(pollId: string): void {
    const watch = this.polls.get(pollId)
    if (!watch || this.closed) return
    watch.dirty = true
    this.schedule(pollId, watch)
  }

  /** Notices may have been lost (the database connection dropped): refresh everything watched. */
  resyncAll(): void {
    for (const pollId of this.polls.keys()) this.pollChanged(pollId)
  }

  /** Called once at shutdown, so open streams can end cleanly. */
  onClose(handler: () => void): () => void {
    if (this.closed) {
      handler()
      return () => undefined
    }
    this.closeHandlers.add(handler)
    return () => this.closeHandlers.delete(handler)
  }

  close(): void {
    if (this.closed) return
    this.closed = true
    for (const watch of this.polls.values()) clearTimeout(watch.timer)
    for (const handler of this.closeHandlers) handler()
    this.closeHandlers.clear()
  }

  private schedule(pollId: string, watch: PollWatch, delayFloor = 0): void {
    if (watch.timer || watch.running) return
    const wait = Math.max(delayFloor, watch.lastRun + this.options.coalesceMs - Date.now(), 0)
    watch.timer = setTimeout(() => {
      watch.timer = undefined
      void this.run(pollId, watch)
    }, wait)
  }

  private async run(pollId: string, watch: PollWatch): Promise<void> {
    if (!watch.dirty || this.closed) return
    watch.dirty = false
    watch.running = true
    watch.lastRun = Date.now()
    const started = performance.now()
    try {
      const results = await this.options.loadResults(pollId)
      if (results && !this.closed) {
        const json = JSON.stringify(results)
        watch.latest = { results, json }
        // Thousands of watchers: hand over in slices of time, so votes and other requests get the
        // event loop between them instead of waiting for the whole fan-out.
        let sliceStarted = performance.now()
        let sinceCheck = 0
        for (const listener of [...watch.listeners]) {
          listener(results, json)
          if (++sinceCheck < FANOUT_CHECK) continue
          sinceCheck = 0
          if (performance.now() - sliceStarted < FANOUT_SLICE_MS) continue
          await new Promise((resolve) => setImmediate(resolve))
          sliceStarted = performance.now()
        }
        this.broadcastDuration.record((performance.now() - started) / 1000)
      }
    } catch (error) {
      // Keep the poll dirty and try again later: the database may be restarting.
      this.options.logger.warn({ err: error, pollId }, 'could not load results for watchers')
      watch.dirty = true
      watch.running = false
      this.schedule(pollId, watch, 1_000)
      return
    }
    watch.running = false
    if (watch.dirty && this.polls.get(pollId) === watch) this.schedule(pollId, watch)
  }
}
