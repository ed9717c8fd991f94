import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DEV_ACCOUNTS } from '@votelab/api/testing'
import { haveChromium, newProfile } from './browser.ts'
import { shot, signInWith, startSite, type Site } from './site.ts'

// The admins' operations page (issue 19): this process's own metrics, drawn every two seconds.
describe.skipIf(!haveChromium && process.env.CI !== 'true')('the operations page', () => {
  let site: Site
  beforeAll(async () => {
    site = await startSite()
  })
  afterAll(async () => {
    await site.close()
  })

  it('shows votes per second, p99, the queue and the watchers move as votes arrive', async () => {
    const poll = await site.openPoll('Busy poll', ['Yes', 'No'])
    const profile = await newProfile()
    try {
      const page = await profile.context.newPage()
      await page.goto(site.base)
      const [admin] = DEV_ACCOUNTS
      await signInWith(page, admin.email, admin.password)
      await page.getByRole('link', { name: 'Admin', exact: true }).click()
      await page.getByRole('link', { name: 'Operations', exact: true }).click()
      await expect
        .poll(() => page.getByRole('heading', { name: 'Operations', level: 1 }).isVisible())
        .toBe(true)
      const card = (name: string) => page.getByRole('region', { name, exact: true })
      // Someone watching the poll's results: the watchers gauge counts the stream.
      const watcher = await profile.context.newPage()
      await watcher.goto(`${site.base}/polls/${poll.id}`)
      // The page reads every two seconds: the waits below allow a few reads.
      await expect
        .poll(() => card('Live-result watchers').getByTestId('value').textContent(), {
          timeout: 6_000,
        })
        .toBe('1')

      // Votes, a few a second for six seconds, through the API.
      const tokens = await Promise.all(
        Array.from({ length: 24 }, (_, i) => site.ctx.voterToken(`ops-${String(i)}`)),
      )
      for (let i = 0; i < tokens.length; i += 4) {
        const answers = await Promise.all(
          tokens
            .slice(i, i + 4)
            .map((token) => site.ctx.castVote(token, poll.id, poll.options[0]?.id)),
        )
        expect(answers.every((answer) => answer.status === 201)).toBe(true)
        await new Promise((resolve) => setTimeout(resolve, 1_000))
      }
      await expect
        .poll(
          async () =>
            Number.parseFloat(
              (await card('Votes acknowledged').getByTestId('value').textContent()) ?? '0',
            ),
          {
            timeout: 10_000,
          },
        )
        .toBeGreaterThan(0)
      expect(await card('Vote p99').getByTestId('value').textContent()).toMatch(/^\d+ ms$/)
      expect(await card('Votes shed or failed').getByTestId('value').textContent()).toBe('0.0/s')
      expect(await page.getByTestId('totals').textContent()).toMatch(
        /Since this process started: \d+ votes cast/,
      )
      // The line has points: it is drawn, not just a number.
      expect(await card('Votes acknowledged').locator('polyline').getAttribute('points')).toMatch(
        /^\d+,[\d.]+ /,
      )
      await shot(page, 'ops')
      await page.setViewportSize({ width: 360, height: 740 })
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBe(360)
      await shot(page, 'ops-360px')
    } finally {
      await profile.close()
    }
  })
})
