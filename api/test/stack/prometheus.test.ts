import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startLocalStack, type LocalStack } from '@votelab/testkit/local-stack'
import { nginxBinary } from '@votelab/testkit/nginx'
import { postgresBinDir } from '@votelab/testkit/postgres'
import { freePort } from '@votelab/testkit/ports'
import { prometheusBinary } from '@votelab/testkit/prometheus'
import { fakeWebDist, stackClient } from './client.ts'

/**
 * `pnpm stack:local`'s Prometheus: it scrapes both replicas and loads the service's rules, and the
 * votes cast through nginx add up in it. Needs Debian's `postgresql`, `nginx` and `prometheus`
 * (CI installs them; a laptop without them skips this file).
 */
const runnable = Boolean(nginxBinary() && postgresBinDir() && prometheusBinary())
const RULES = fileURLToPath(new URL('../../../scripts/prometheus/rules.yml', import.meta.url))

describe.skipIf(!runnable && process.env.CI !== 'true')('Prometheus in the local stack', () => {
  let stack: LocalStack
  beforeAll(async () => {
    stack = await startLocalStack({
      replicas: 2,
      port: await freePort(),
      webDist: fakeWebDist(),
      prometheus: { port: await freePort(), ruleFiles: [RULES], scrapeIntervalSeconds: 1 },
    })
  })
  afterAll(async () => {
    await stack.stop()
  })

  const query = async (promql: string) => {
    const url = `${stack.prometheus?.url ?? ''}/api/v1/query?query=${encodeURIComponent(promql)}`
    const body = (await (await fetch(url)).json()) as {
      data: { result: { metric: Record<string, string>; value: [number, string] }[] }
    }
    return body.data.result
  }

  it('scrapes both replicas on their metrics ports', async () => {
    expect(stack.prometheus).toBeDefined()
    await expect
      .poll(
        async () => {
          const up = await query('up{job="votelab-api"} == 1')
          return up.map((sample) => sample.metric.instance).sort()
        },
        { timeout: 20_000, interval: 500 },
      )
      .toEqual([...stack.metricsTargets].sort())
  })

  it('adds up the votes cast through nginx over both replicas', async () => {
    const client = await stackClient(stack)
    const { pollId, optionIds } = await client.openPoll()
    const voters = await client.voters('prometheus', 40)
    await client.castAll(pollId, optionIds, voters, {
      concurrency: 8,
      deadline: Date.now() + 30_000,
    })
    await expect
      .poll(
        async () =>
          Number(
            (await query('sum(votelab_votes_total{votelab_vote_outcome="cast"})'))[0]?.value[1] ??
              0,
          ),
        { timeout: 20_000, interval: 500 },
      )
      .toBe(40)
    // Each series names its replica: the instance label Prometheus adds to what it scraped.
    const perReplica = await query('votelab_votes_total{votelab_vote_outcome="cast"}')
    for (const series of perReplica) expect(stack.metricsTargets).toContain(series.metric.instance)
  })

  it('loads the recording and alert rules, and evaluates them', async () => {
    const rules = (await (await fetch(`${stack.prometheus?.url ?? ''}/api/v1/rules`)).json()) as {
      data: { groups: { name: string; rules: { health: string }[] }[] }
    }
    expect(rules.data.groups.map((group) => group.name).sort()).toEqual([
      'votelab-alerts',
      'votelab-recording',
    ])
    for (const group of rules.data.groups)
      for (const rule of group.rules) expect(rule.health).not.toBe('err')
    await expect
      .poll(async () => (await query('votelab:votes:rate5m')).length, {
        timeout: 40_000,
        interval: 1_000,
      })
      .toBe(1)
  })
})
