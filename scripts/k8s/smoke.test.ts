import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestContext, type TestContext } from '@votelab/api/testing'
import { voteAndWatch } from './live-vote.ts'

/**
 * `pnpm k8s:smoke` needs a cluster, which this machine has not: what can run here does — the
 * vote-and-watch check against a real API over real HTTP and SSE, and the script's refusal to
 * do anything without a cluster.
 */
describe('pnpm k8s:smoke', () => {
  let ctx: TestContext
  let url: string
  beforeAll(async () => {
    ctx = await createTestContext()
    url = (await ctx.listen()).url
  })
  afterAll(() => ctx.close())

  it('sees a vote cast through one address arrive on the results stream of another', async () => {
    const { pollId } = await ctx.openPoll(['Kubernetes', 'ECS'])
    const check = await voteAndWatch({
      watchUrl: url,
      voteUrl: url,
      token: await ctx.voterToken('k8s-smoke'),
    })
    expect(check.pollId).toBe(pollId)
    expect(check.after).toBe(check.before + 1)
    expect(check.deliveredMs).toBeLessThan(5_000)
  })

  it('says there is no cluster, and does nothing, without one', () => {
    const result = spawnSync(
      process.execPath,
      [fileURLToPath(new URL('./smoke.ts', import.meta.url))],
      { encoding: 'utf8', env: { ...process.env, KUBECONFIG: '/nonexistent/kubeconfig' } },
    )
    expect(result.status).toBe(2)
    expect(result.stderr).toContain('No Kubernetes cluster')
  })
})
