import { ApiError } from '../api.ts'
import type { AppContext } from '../app-context.ts'
import { h, notice, replace } from '../dom.ts'
import { bucketDeltas, histogramQuantile } from '../ops-math.ts'

const EVERY_MS = 2_000
const POINTS = 60
const SVG = 'http://www.w3.org/2000/svg'

type Snapshot = Awaited<ReturnType<typeof readSnapshot>>
const readSnapshot = (ctx: AppContext) => ctx.api.read(ctx.api.client.api.ops.metrics.$get())

/** One small line chart: a title, the latest value in large type, the last two minutes drawn. */
function chart(
  title: string,
  format: (value: number) => string,
  alarm?: (value: number) => boolean,
) {
  const values: number[] = []
  const latest = h('p', { class: 'ops-value', 'data-testid': 'value' }, '–')
  const svg = document.createElementNS(SVG, 'svg')
  svg.setAttribute('viewBox', `0 0 ${String(POINTS - 1)} 40`)
  svg.setAttribute('preserveAspectRatio', 'none')
  svg.setAttribute('aria-hidden', 'true')
  const line = document.createElementNS(SVG, 'polyline')
  line.setAttribute('fill', 'none')
  line.setAttribute('stroke', 'currentColor')
  line.setAttribute('stroke-width', '1.5')
  line.setAttribute('vector-effect', 'non-scaling-stroke')
  svg.append(line)
  const element = h(
    'section',
    { class: 'card ops-chart', 'aria-label': title },
    h('h2', {}, title),
    latest,
    svg,
  )
  return {
    element,
    push(value: number) {
      values.push(value)
      if (values.length > POINTS) values.shift()
      const top = Math.max(...values, 1e-9)
      const offset = POINTS - values.length
      line.setAttribute(
        'points',
        values.map((v, i) => `${String(offset + i)},${(40 - (v / top) * 38).toFixed(1)}`).join(' '),
      )
      replace(latest, format(value))
      element.classList.toggle('alarm', alarm?.(value) ?? false)
    },
  }
}

const perSecond = (value: number) => `${value.toFixed(value < 10 ? 1 : 0)}/s`
const sum = (counts: Record<string, number>, keys?: string[]) =>
  Object.entries(counts)
    .filter(([key]) => !keys || keys.includes(key))
    .reduce((total, [, count]) => total + count, 0)

/**
 * What this API process is doing, every two seconds, from its own metrics (GET /api/ops/metrics):
 * rates from the difference of two snapshots, the vote p99 from the histogram's buckets.
 */
export async function opsPage(main: HTMLElement, ctx: AppContext): Promise<void> {
  if (!ctx.isAdmin) {
    main.replaceChildren(
      h('h1', {}, 'Operations'),
      notice('Only members of the admins group can see the operations page.', 'error'),
    )
    return
  }
  const charts = {
    votes: chart('Votes acknowledged', perSecond),
    failed: chart('Votes shed or failed', perSecond, (v) => v > 0),
    p99: chart(
      'Vote p99',
      (v) => `${Math.round(v * 1000)} ms`,
      (v) => v > 0.25,
    ),
    queue: chart('Votes waiting', (v) => String(v)),
    watchers: chart('Live-result watchers', (v) => v.toLocaleString('en')),
    errors: chart('Server errors', perSecond, (v) => v > 0),
  }
  const totals = h('p', { class: 'meta', 'data-testid': 'totals' })
  const status = h('div', { 'aria-live': 'polite' })
  main.replaceChildren(
    h('p', {}, h('a', { href: '/admin', 'data-link': true }, '← Manage polls')),
    h('h1', {}, 'Operations'),
    h(
      'p',
      { class: 'lead' },
      'This API process’s own metrics, every two seconds, over the last two minutes. One replica’s view: Prometheus (pnpm stack:local) and CloudWatch add up all of them. Red: outside the service’s objectives (docs/operations.md).',
    ),
    status,
    h('div', { class: 'ops-grid' }, ...Object.values(charts).map((c) => c.element)),
    totals,
  )

  let previous: Snapshot | undefined
  const tick = async () => {
    let next: Snapshot
    try {
      next = await readSnapshot(ctx)
    } catch (error) {
      replace(
        status,
        notice(error instanceof ApiError ? error.message : 'Could not read the metrics.', 'error'),
      )
      return
    }
    status.replaceChildren()
    if (previous) {
      const seconds = Math.max(0.001, (Date.parse(next.at) - Date.parse(previous.at)) / 1000)
      const rate = (after: number, before: number) => Math.max(0, after - before) / seconds
      charts.votes.push(rate(next.votes.cast ?? 0, previous.votes.cast ?? 0))
      const failing = ['overloaded', 'failed']
      charts.failed.push(rate(sum(next.votes, failing), sum(previous.votes, failing)))
      const latency = bucketDeltas(previous.voteLatency.counts, next.voteLatency.counts)
      charts.p99.push(histogramQuantile(0.99, next.voteLatency.boundaries, latency) ?? 0)
      charts.errors.push(rate(next.requests.serverErrors, previous.requests.serverErrors))
    }
    charts.queue.push(next.queueDepth)
    charts.watchers.push(next.watchers)
    const batch = next.batches.count ? next.batches.votes / next.batches.count : 0
    replace(
      totals,
      `Since this process started: ${(next.votes.cast ?? 0).toLocaleString('en')} votes cast, ${sum(next.votes).toLocaleString('en')} handed in, ${batch.toFixed(1)} votes per batch on average; sign-ins ${(next.signIns.success ?? 0).toLocaleString('en')} succeeded, ${(next.signIns.failure ?? 0).toLocaleString('en')} failed, ${(next.signIns.throttled ?? 0).toLocaleString('en')} throttled.`,
    )
    previous = next
  }
  await tick()
  const timer = window.setInterval(() => void tick(), EVERY_MS)
  ctx.onLeave(() => window.clearInterval(timer))
}
