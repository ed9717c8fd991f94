import { readFile } from 'node:fs/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Page } from 'playwright-core'
import {
  createAccount,
  createPoll,
  DEMO_POLL_IDS,
  DEV_ACCOUNTS,
  transitionPoll,
} from '@votelab/api/testing'
import { haveChromium, newProfile } from './browser.ts'
import { PASSWORD, shot, signInToVote, signInWith, startSite, type Site } from './site.ts'

// What a first-time voter and admin tripped over (issue 18), each walked through in Chromium.
describe.skipIf(!haveChromium && process.env.CI !== 'true')(
  'the page, as a newcomer meets it',
  () => {
    let site: Site
    let base: string

    beforeAll(async () => {
      site = await startSite()
      base = site.base
    })
    afterAll(async () => {
      await site.close()
    })

    const text = (page: Page, testId: string) => page.getByTestId(testId).textContent()

    /** Clicks "Download receipt" and reads the file the browser saved. */
    async function downloadReceipt(page: Page) {
      const [download] = await Promise.all([
        page.waitForEvent('download'),
        page.getByRole('button', { name: 'Download receipt' }).click(),
      ])
      return {
        name: download.suggestedFilename(),
        file: JSON.parse(await readFile(await download.path(), 'utf8')) as Record<string, unknown>,
      }
    }

    async function vote(page: Page, option: string) {
      await page.getByLabel(option, { exact: true }).check()
      await page.getByRole('button', { name: 'Vote' }).click()
      await expect.poll(() => page.getByTestId('tracker').isVisible()).toBe(true)
      return (await text(page, 'tracker')) ?? ''
    }

    it('follows its poll closing: the ballot goes, the status says Closed, the receipt leads to the check', async () => {
      const poll = await site.openPoll('Lunch on Friday?', ['Pizza', 'Salad'])
      await createAccount(site.ctx.runtime.database.db, 'luncher@example.com', PASSWORD, [], {
        verified: true,
      })
      const voted = await newProfile()
      const undecided = await newProfile()
      try {
        const page = await voted.context.newPage()
        await page.goto(`${base}/polls/${poll.id}`)
        await signInToVote(page, 'luncher@example.com', PASSWORD)
        const tracker = await vote(page, 'Pizza')

        // While the poll is open, the receipt's check link says when the board will exist.
        expect(await text(page, 'receipt-next')).toBe(
          'When the poll closes, every ballot is published: then check that yours is there.',
        )
        await page.getByRole('link', { name: 'check that yours is there' }).click()
        await expect
          .poll(() => text(page, 'not-closed-yet'))
          .toMatch(/^“Lunch on Friday\?” is still open for voting\. Its ballots are published/)
        await page.getByRole('link', { name: '← Back to the poll' }).click()
        await expect.poll(() => text(page, 'tracker')).toBe(tracker)

        // The receipt as a file: poll, title, tracker, time; no seal yet.
        const before = await downloadReceipt(page)
        expect(before.name).toBe('votelab-receipt-lunch-on-friday.json')
        expect(before.file).toMatchObject({
          kind: 'votelab ballot receipt',
          poll: { id: poll.id, title: 'Lunch on Friday?', url: `${base}/polls/${poll.id}` },
          tracker,
        })
        expect(Date.parse(String(before.file.castAt))).toBeGreaterThan(Date.now() - 60_000)
        expect(before.file.chain).toBeUndefined()

        const other = await undecided.context.newPage()
        await other.goto(`${base}/polls/${poll.id}`)
        await signInToVote(other, 'watcher@example.com', PASSWORD)
        await expect.poll(() => other.getByRole('button', { name: 'Vote' }).isVisible()).toBe(true)

        // An admin closes the poll: both open tabs follow the results stream, no reload.
        await transitionPoll(site.ctx.runtime.database.db, poll.id, 'closed')
        await expect.poll(() => text(other, 'poll-status')).toBe('Closed')
        expect(await other.getByRole('button', { name: 'Vote' }).count()).toBe(0)
        expect(await other.getByRole('link', { name: 'Check my ballot' }).isVisible()).toBe(true)

        await expect.poll(() => text(page, 'poll-status')).toBe('Closed')
        expect(await text(page, 'receipt-next')).toBe(
          'The poll is closed and its ballots are published: check that yours is there.',
        )
        await expect.poll(() => page.getByTestId('seal').isVisible()).toBe(true)
        const head = await page.getByTestId('seal').locator('code').textContent()
        await shot(page, 'closed-poll')
        const after = await downloadReceipt(page)
        expect(after.file.chain).toEqual({ head, ballots: 1 })

        // The link fills in the poll and the tracker; the check finds the ballot.
        await page.getByRole('link', { name: 'check that yours is there' }).click()
        await expect.poll(() => page.locator('#check-poll').inputValue()).toBe(poll.id)
        expect(await page.locator('#check-tracker').inputValue()).toBe(tracker)
        await page.getByRole('button', { name: 'Check' }).click()
        await expect.poll(() => page.getByTestId('found').isVisible()).toBe(true)
      } finally {
        await Promise.all([voted.close(), undecided.close()])
      }
    })

    it('lets a voter keep a receipt on this device when asked to, and says where it went otherwise', async () => {
      const poll = await site.openPoll('Coffee or tea?', ['Coffee', 'Tea'])
      await createAccount(site.ctx.runtime.database.db, 'keeper@example.com', PASSWORD, [], {
        verified: true,
      })
      const profile = await newProfile()
      try {
        const voting = await profile.context.newPage()
        await voting.goto(`${base}/polls/${poll.id}`)
        await signInToVote(voting, 'keeper@example.com', PASSWORD)
        const tracker = await vote(voting, 'Tea')

        // Another tab of the same browser: the receipt stayed in the first one, and it says so.
        const second = await profile.context.newPage()
        await second.goto(`${base}/polls/${poll.id}`)
        await second.getByRole('button', { name: 'Sign in to vote' }).click()
        await expect
          .poll(() =>
            second.getByText('Your receipt was shown once, in the tab you voted from').isVisible(),
          )
          .toBe(true)
        expect(await second.getByTestId('tracker').count()).toBe(0)

        // Opted in: every tab on this device shows it, signed in or not.
        await voting.getByLabel('Remember my receipts on this device').check()
        const third = await profile.context.newPage()
        await third.goto(`${base}/polls/${poll.id}`)
        await expect.poll(() => third.getByTestId('tracker').textContent()).toBe(tracker)
        expect(await third.getByLabel('Remember my receipts on this device').isChecked()).toBe(true)

        // Opted out: the device forgets them all.
        await third.getByLabel('Remember my receipts on this device').uncheck()
        const fourth = await profile.context.newPage()
        await fourth.goto(`${base}/polls/${poll.id}`)
        await expect
          .poll(() => fourth.getByRole('button', { name: 'Sign in to vote' }).isVisible())
          .toBe(true)
        expect(await fourth.getByTestId('tracker').count()).toBe(0)
        expect(await fourth.evaluate(() => Object.keys(localStorage))).toEqual([])
      } finally {
        await profile.close()
      }
    })

    it('answers an address that leads nowhere with a page that says so and a way back', async () => {
      const profile = await newProfile()
      try {
        const page = await profile.context.newPage()
        const cases: [string, string][] = [
          ['/nonsense', 'Page not found'],
          ['/polls', 'Page not found'],
          ['/polls/does-not-exist', 'No such poll'],
          ['/polls/does-not-exist/check', 'No such poll'],
          [`/polls/${crypto.randomUUID()}`, 'No such poll'],
          [`/polls/${crypto.randomUUID()}/check`, 'No such poll'],
        ]
        for (const [path, heading] of cases) {
          await page.goto(`${base}${path}`)
          await expect
            .poll(() => page.getByRole('heading', { level: 1 }).textContent(), { message: path })
            .toBe(heading)
          expect(await page.title()).toBe(`${heading} · votelab`)
          expect(await page.getByText('Invalid param').count()).toBe(0)
        }
        await page.getByRole('link', { name: 'See all polls' }).click()
        await expect
          .poll(() => page.getByRole('heading', { name: 'Polls', level: 1 }).isVisible())
          .toBe(true)
        expect(page.url()).toBe(`${base}/`)
      } finally {
        await profile.close()
      }
    })

    it('shows each closed poll’s outcome on the home page', async () => {
      const profile = await newProfile()
      try {
        const page = await profile.context.newPage()
        await page.goto(base)
        const card = page.locator('li.card', {
          has: page.getByRole('link', { name: 'Best first AWS service to learn' }),
        })
        // The demo's closed poll: 12, 7, 4 and 9 votes.
        await expect
          .poll(() => card.getByTestId('outcome').textContent())
          .toBe('Won by “ECS Fargate” with 12 votes of 32 (38%).')
        expect(await card.locator('.meta').textContent()).toBe('4 options · 32 votes')
        expect(await page.locator(`a[href="/polls/${DEMO_POLL_IDS.open}"]`).count()).toBe(1)
      } finally {
        await profile.close()
      }
    })

    it('asks before closing a poll; its list has short buttons, status badges and vote counts', async () => {
      const title = 'Which deployment strategy should the lab adopt for the spring workshop series?'
      const poll = await site.openPoll(title, ['Blue-green', 'Canary'])
      const profile = await newProfile()
      try {
        const admin = await profile.context.newPage()
        await admin.goto(base)
        const [adminAccount] = DEV_ACCOUNTS
        await signInWith(admin, adminAccount.email, adminAccount.password)
        await admin.getByRole('link', { name: 'Admin', exact: true }).click()
        const row = admin.locator(`li[data-poll="${poll.id}"]`)
        await expect.poll(() => row.getByTestId('badge').textContent()).toBe('Open')
        expect(await row.locator('.meta').first().textContent()).toBe('Open 0 votes')
        const close = row.getByRole('button', { name: `Close “${title}”` })
        expect(await close.textContent()).toBe('Close')
        // One line, not a block of wrapped title.
        expect((await close.boundingBox())?.height).toBeLessThan(60)
        await shot(admin, 'admin-list')

        // "Keep it open" (and Escape) change nothing.
        await close.click()
        const dialog = admin.getByRole('dialog', { name: `Close “${title}”?` })
        await expect.poll(() => dialog.isVisible()).toBe(true)
        expect(await dialog.textContent()).toContain('This cannot be undone')
        await shot(admin, 'admin-close-confirm')
        await dialog.getByRole('button', { name: 'Keep it open' }).click()
        expect(await dialog.count()).toBe(0)
        await close.click()
        await admin.keyboard.press('Escape')
        await expect.poll(() => dialog.count()).toBe(0)
        const open = await site.ctx.runtime.database.db
          .selectFrom('polls')
          .select('status')
          .where('id', '=', poll.id)
          .executeTakeFirstOrThrow()
        expect(open.status).toBe('open')

        await close.click()
        await dialog.getByRole('button', { name: 'Close and seal' }).click()
        await expect.poll(() => admin.getByText(`“${title}” is now closed.`).isVisible()).toBe(true)
        await expect.poll(() => row.getByTestId('badge').textContent()).toBe('Closed')
        expect(await row.getByRole('button').count()).toBe(0)
      } finally {
        await profile.close()
      }
    })

    it('fits a 360 px phone on every page, with long titles, long labels and long words', async () => {
      const db = site.ctx.runtime.database.db
      const longTitle =
        'Which of these unusually long-winded proposals, each described at length by its authors, should the committee adopt as the lab-wide convention for naming infrastructure resources?'
      const longWord = `Naming-${'x'.repeat(60)}-convention`
      const longLabel = `Prefix every resource with the team, the environment, the region and the date, so that anyone reading a bill can tell who made it (${'long '.repeat(8).trim()})`
      const poll = await site.openPoll(longTitle, [
        longLabel,
        'https://example.org/an-address-without-any-spaces-at-all',
        longWord,
      ])
      const wordy = await createPoll(
        db,
        {
          title: longWord,
          description: longWord,
          options: [longWord, 'Short'],
          publishBallots: true,
          resultsVisibility: 'live',
          eligibility: { kind: 'anyone' },
        },
        'admin',
      )
      await transitionPoll(db, wordy.id, 'open')
      await transitionPoll(db, wordy.id, 'closed')
      const [adminAccount, voterAccount] = DEV_ACCOUNTS

      const profile = await newProfile()
      try {
        const page = await profile.context.newPage()
        await page.setViewportSize({ width: 360, height: 740 })
        /** Nothing sticks out past the right edge, nor makes the page scroll sideways. */
        const fits = async (what: string) => {
          const outside = await page.evaluate(() => {
            const width = document.documentElement.clientWidth
            const wide = [...document.querySelectorAll('body *')].filter((element) => {
              const box = element.getBoundingClientRect()
              return box.width > 0 && box.right > width + 1
            })
            return {
              scrollWidth: document.documentElement.scrollWidth,
              wide: wide.slice(0, 5).map((element) => `${element.tagName}.${element.className}`),
            }
          })
          expect(outside, what).toEqual({ scrollWidth: 360, wide: [] })
        }

        await page.goto(base)
        await expect.poll(() => page.getByRole('link', { name: longTitle }).isVisible()).toBe(true)
        await fits('home')
        await page.goto(`${base}/nonsense`)
        await expect.poll(() => page.getByText('Page not found').isVisible()).toBe(true)
        await fits('not found')

        // The provider's pages, then a long ballot, then its receipt.
        await page.goto(`${base}/polls/${poll.id}`)
        await page.getByRole('button', { name: 'Sign in to vote' }).click()
        await expect.poll(() => page.getByLabel('Password').isVisible()).toBe(true)
        await fits('sign in')
        await page.getByRole('link', { name: 'Create an account' }).click()
        await expect
          .poll(() => page.getByRole('button', { name: 'Create account' }).isVisible())
          .toBe(true)
        await fits('create account')
        await page.goBack()
        await page.getByLabel('Email').fill(voterAccount.email)
        await page.getByLabel('Password').fill(voterAccount.password)
        await page.getByRole('button', { name: 'Sign in' }).click()
        await expect.poll(() => page.getByRole('button', { name: 'Vote' }).isVisible()).toBe(true)
        await fits('ballot')
        await vote(page, longWord)
        await fits('receipt')

        // Closed: the final results, the receipt's check, the verdict.
        await transitionPoll(db, poll.id, 'closed')
        await expect.poll(() => text(page, 'poll-status')).toBe('Closed')
        await expect.poll(() => page.getByTestId('seal').isVisible()).toBe(true)
        await fits('closed poll')
        await shot(page, 'closed-poll-360px')
        await page.getByRole('link', { name: 'check that yours is there' }).click()
        await page.getByRole('button', { name: 'Check' }).click()
        await expect.poll(() => page.getByTestId('found').isVisible()).toBe(true)
        await fits('check')
        await shot(page, 'check-360px')
        await page.goto(`${base}/polls/${wordy.id}`)
        await expect.poll(() => page.getByTestId('seal').isVisible()).toBe(true)
        await fits('closed poll with a long word')

        await page.getByRole('button', { name: 'Sign out' }).click()
        await expect.poll(() => page.getByText('Sign out of votelab?').isVisible()).toBe(true)
        await fits('sign out')
        await page.getByRole('button', { name: 'Yes, sign me out' }).click()
        await expect
          .poll(() => page.getByRole('button', { name: 'Sign in', exact: true }).isVisible())
          .toBe(true)

        await signInWith(page, adminAccount.email, adminAccount.password)
        await page.getByRole('link', { name: 'Admin', exact: true }).click()
        await expect.poll(() => page.locator(`li[data-poll="${wordy.id}"]`).isVisible()).toBe(true)
        await fits('admin')
        await shot(page, 'admin-360px')
        await page.locator('li[data-poll] button[data-action="close"]').first().click()
        await expect.poll(() => page.getByRole('dialog').isVisible()).toBe(true)
        await fits('close confirmation')
      } finally {
        await profile.close()
      }
    })
  },
)
