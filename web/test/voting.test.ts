import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  createAccount,
  DEMO_POLL_IDS,
  DEV_ACCOUNTS,
  transitionPoll,
  type TestContext,
} from '@votelab/api/testing'
import { haveChromium, newProfile } from './browser.ts'
import { PASSWORD, shot, signInToVote, signInWith, startSite, type Site } from './site.ts'

// Skipped on a laptop without Chromium; CI installs it and never skips.
describe.skipIf(!haveChromium && process.env.CI !== 'true')('the web client in Chromium', () => {
  let site: Site
  let ctx: TestContext
  let base: string
  const openPoll: Site['openPoll'] = (...args) => site.openPoll(...args)

  beforeAll(async () => {
    site = await startSite()
    ;({ ctx, base } = site)
  })
  afterAll(async () => {
    await site.close()
  })

  it('lets a new voter create an account, vote, get a receipt and watch the bars move — live in another browser too', async () => {
    const voter = await newProfile()
    const watcher = await newProfile()
    try {
      // A second person watches the open poll, signed out.
      const watching = await watcher.context.newPage()
      await watching.goto(`${base}/polls/${DEMO_POLL_IDS.open}`)
      await expect
        .poll(() => watching.locator('.connection').getAttribute('data-state'))
        .toBe('live')
      await expect.poll(() => watching.locator('.total').textContent()).toBe('0 votes')
      const rowTops = () =>
        watching
          .locator('[data-option]')
          .evaluateAll((rows) => rows.map((row) => row.getBoundingClientRect().top))
      const topsBefore = await rowTops()

      const page = await voter.context.newPage()
      await page.goto(base)
      await expect
        .poll(() => page.getByRole('heading', { name: 'Polls', level: 1 }).isVisible())
        .toBe(true)
      await shot(page, 'home')
      await page
        .getByRole('link', { name: 'Which deployment strategy should the lab practise next?' })
        .first()
        .click()
      await page.getByRole('button', { name: 'Sign in to vote' }).click()

      // The provider's pages: create an account, which signs in and returns to the poll.
      await page.getByRole('link', { name: 'Create an account' }).click()
      await shot(page, 'create-account')
      await page.getByLabel('Email').fill('new.voter@example.com')
      await page.getByLabel('Password').fill('weak')
      await page.getByRole('button', { name: 'Create account' }).click()
      await expect.poll(() => page.getByText('Use at least 8 characters').isVisible()).toBe(true)
      await page.getByLabel('Password').fill(PASSWORD)
      await page.getByRole('button', { name: 'Create account' }).click()

      // A code by mail: on a laptop the page points to the development mailbox.
      await expect
        .poll(() => page.getByRole('heading', { name: 'Check your email' }).isVisible())
        .toBe(true)
      await shot(page, 'check-your-email')
      const [mailbox] = await Promise.all([
        page.context().waitForEvent('page'),
        page.getByRole('link', { name: 'development mailbox' }).click(),
      ])
      await mailbox.waitForLoadState()
      const subject = await mailbox
        .getByRole('heading', { name: /^Your votelab code: \d{6}$/ })
        .first()
        .textContent()
      await mailbox.close()
      await page.getByLabel('Code').fill(subject?.slice(-6) ?? '')
      await page.getByRole('button', { name: 'Confirm' }).click()

      await expect.poll(() => page.url()).toBe(`${base}/polls/${DEMO_POLL_IDS.open}`)
      await page.getByLabel('Canary').check()
      await page.getByRole('button', { name: 'Vote' }).click()
      await expect
        .poll(() => page.getByRole('heading', { name: 'Your vote is counted' }).isVisible())
        .toBe(true)
      expect(await page.getByTestId('tracker').textContent()).toMatch(/^[0-9a-f]{32}$/)
      await expect
        .poll(() => page.locator('[data-option] .count').nth(1).textContent())
        .toBe('1 · 100%')
      await shot(page, 'poll')

      // The watcher's page moved without a reload.
      await expect.poll(() => watching.locator('.total').textContent()).toBe('1 vote')
      expect(await watching.locator('[data-option] .count').nth(1).textContent()).toBe('1 · 100%')
      expect(await rowTops()).toEqual(topsBefore) // no layout shift when results update

      // Usable at 360 px: nothing wider than the screen.
      await page.setViewportSize({ width: 360, height: 740 })
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(
        360,
      )
      await shot(page, 'poll-360px')
      await page.setViewportSize({ width: 1000, height: 800 })

      // After a reload, the page still knows this voter has voted.
      await page.reload()
      await expect
        .poll(() => page.getByRole('heading', { name: 'Your vote is counted' }).isVisible())
        .toBe(true)
      expect(await page.getByRole('button', { name: 'Vote' }).count()).toBe(0)
    } finally {
      await voter.close()
      await watcher.close()
    }
  })

  it('lets an admin create and open a poll, a voter vote in it, and both sign out', async () => {
    const adminProfile = await newProfile()
    const voterProfile = await newProfile()
    try {
      const admin = await adminProfile.context.newPage()
      await admin.goto(base)
      const [adminAccount, voterAccount] = DEV_ACCOUNTS
      await signInWith(admin, adminAccount.email, adminAccount.password)
      await admin.getByRole('link', { name: 'Admin' }).click()
      await admin.getByLabel('Title').fill('Best editor for YAML?')
      await admin.getByLabel('Option 1', { exact: true }).fill('vim')
      await admin.getByLabel('Option 2', { exact: true }).fill('VS Code')
      await admin.getByRole('button', { name: 'Create draft' }).click()
      await admin.getByRole('button', { name: 'Open “Best editor for YAML?”' }).click()
      await expect
        .poll(() => admin.getByText('“Best editor for YAML?” is now open.').isVisible())
        .toBe(true)
      await shot(admin, 'admin')

      const voter = await voterProfile.context.newPage()
      // The sign-in pages' CSP (styles by hash, no script, forms to the provider and back) must
      // not get in the way: the browser reports every violation on the console.
      const violations: string[] = []
      voter.on('console', (message) => {
        if (/Content Security Policy/i.test(message.text())) violations.push(message.text())
      })
      await voter.goto(base)
      await signInWith(voter, voterAccount.email, voterAccount.password)
      await voter.getByRole('link', { name: 'Best editor for YAML?' }).click()
      await voter.getByLabel('VS Code').check()
      await voter.getByRole('button', { name: 'Vote' }).click()
      await expect
        .poll(() => voter.getByRole('heading', { name: 'Your vote is counted' }).isVisible())
        .toBe(true)

      // Sign out asks first at the provider. "No" keeps the session, back on this very page.
      const pollUrl = voter.url()
      await voter.getByRole('button', { name: 'Sign out' }).click()
      await voter.getByRole('link', { name: 'No, stay signed in' }).click()
      await expect.poll(() => voter.url()).toBe(pollUrl)
      await expect.poll(() => voter.getByText(voterAccount.email).isVisible()).toBe(true)
      expect(await voter.getByTestId('tracker').isVisible()).toBe(true)

      // "Yes" ends it, at the provider too: signing in again asks for the password.
      await voter.getByRole('button', { name: 'Sign out' }).click()
      await voter.getByRole('button', { name: 'Yes, sign me out' }).click()
      await expect.poll(() => voter.url()).toBe(pollUrl)
      await expect
        .poll(() => voter.getByRole('button', { name: 'Sign in', exact: true }).isVisible())
        .toBe(true)
      await voter.getByRole('button', { name: 'Sign in', exact: true }).click()
      await expect.poll(() => voter.getByLabel('Password').isVisible()).toBe(true)
      expect(violations).toEqual([])
    } finally {
      await adminProfile.close()
      await voterProfile.close()
    }
  })
  it('shows what went wrong: offline, poll closed meanwhile, expired sign-in', async () => {
    const db = ctx.runtime.database.db
    const poll = await openPoll('Tabs or spaces?', ['Tabs', 'Spaces'])
    const profile = await newProfile()
    try {
      const page = await profile.context.newPage()
      // No live results here: the page learns that the poll closed from the vote's answer alone
      // (the test below has the stream tell it first).
      await page.route(`${base}/api/polls/${poll.id}/results/stream*`, (route) => route.abort())
      await page.goto(`${base}/polls/${poll.id}`)
      await signInToVote(page, 'watcher@example.com', PASSWORD)
      await expect.poll(() => page.url()).toBe(`${base}/polls/${poll.id}`)

      // Network down: a clear message, the vote button comes back, nothing is lost.
      await page.getByLabel('Spaces').check()
      await profile.context.setOffline(true)
      await page.getByRole('button', { name: 'Vote' }).click()
      await expect.poll(() => page.getByText('Cannot reach votelab').isVisible()).toBe(true)
      expect(await page.getByRole('button', { name: 'Vote' }).isEnabled()).toBe(true)
      await profile.context.setOffline(false)

      // Closed while the page was open: 409 poll_not_open, said in words.
      await transitionPoll(db, poll.id, 'closed')
      await page.getByRole('button', { name: 'Vote' }).click()
      await expect
        .poll(() => page.getByText('This poll is not open for voting.').isVisible())
        .toBe(true)
      // …and the page follows: no ballot any more, and the status says so.
      expect(await page.getByRole('button', { name: 'Vote' }).count()).toBe(0)
      expect(await page.getByTestId('poll-status').textContent()).toBe('Closed')

      // A token the API no longer accepts: the page goes back through sign-in (the provider still
      // has a session, so no form this time) and returns to this poll, signed in.
      await page.evaluate(() => {
        const tokens = JSON.parse(sessionStorage.getItem('votelab.tokens') ?? '{}') as Record<
          string,
          unknown
        >
        sessionStorage.setItem(
          'votelab.tokens',
          JSON.stringify({ ...tokens, accessToken: 'not-a-token' }),
        )
      })
      const visited: string[] = []
      page.on('framenavigated', (frame) => visited.push(frame.url()))
      await page.reload()
      await expect.poll(() => visited.some((url) => url.startsWith(`${base}/callback?`))).toBe(true)
      await expect.poll(() => page.url()).toBe(`${base}/polls/${poll.id}`)
      await expect.poll(() => page.getByText('watcher@example.com').isVisible()).toBe(true)
    } finally {
      await profile.close()
    }
  })

  it('retries a vote whose answer was lost without counting it twice: the same receipt comes back', async () => {
    const db = ctx.runtime.database.db
    const poll = await openPoll('Lost in transit?', ['Yes', 'No'])
    await createAccount(db, 'unlucky@example.com', PASSWORD, [], { verified: true })
    const profile = await newProfile()
    try {
      const page = await profile.context.newPage()
      await page.goto(`${base}/polls/${poll.id}`)
      await signInToVote(page, 'unlucky@example.com', PASSWORD)
      await expect.poll(() => page.url()).toBe(`${base}/polls/${poll.id}`)

      // The vote reaches the API and is counted, but the connection drops before the answer.
      let counted: { receipt: { tracker: string } } | undefined
      const votes = `${base}/api/polls/${poll.id}/votes`
      await page.route(votes, async (route) => {
        const response = await route.fetch()
        counted = (await response.json()) as { receipt: { tracker: string } }
        await route.abort('connectionreset')
      })
      await page.getByLabel('No').check()
      await page.getByRole('button', { name: 'Vote' }).click()
      await expect.poll(() => page.getByText('Cannot reach votelab').isVisible()).toBe(true)
      await page.unroute(votes)
      expect(counted?.receipt.tracker).toMatch(/^[0-9a-f]{32}$/)

      // Trying again sends the same Idempotency-Key: the receipt of the vote that got through.
      await page.getByRole('button', { name: 'Vote' }).click()
      await expect
        .poll(() => page.getByText(counted?.receipt.tracker ?? '-').isVisible())
        .toBe(true)
      const ballots = await db
        .selectFrom('ballots')
        .selectAll()
        .where('poll_id', '=', poll.id)
        .execute()
      expect(ballots).toHaveLength(1)
    } finally {
      await profile.close()
    }
  })
  it('checks a ballot in the browser: finds a real tracker, rejects an unknown one, notices tampering', async () => {
    const db = ctx.runtime.database.db
    const poll = await openPoll('Where should the lab meet?', ['Online', 'On site'])
    const [online, onSite] = poll.options.map((option) => option.id)
    // Other voters first, so the chain has entries on both sides of ours.
    for (let i = 0; i < 9; i++) {
      const outcome = await ctx.runtime.ballotBox.cast({
        pollId: poll.id,
        optionId: (i % 3 ? online : onSite) ?? '',
        voterSub: `checker-crowd-${String(i)}`,
      })
      expect(outcome.ok).toBe(true)
    }
    await createAccount(db, 'checker@example.com', PASSWORD, [], { verified: true })
    const profile = await newProfile()
    try {
      const page = await profile.context.newPage()
      const requested: string[] = []
      page.on('request', (request) => requested.push(request.url()))
      await page.goto(`${base}/polls/${poll.id}`)
      await signInToVote(page, 'checker@example.com', PASSWORD)
      await page.getByLabel('On site').check()
      await page.getByRole('button', { name: 'Vote' }).click()
      const tracker = (await page.getByTestId('tracker').textContent()) ?? ''
      expect(tracker).toMatch(/^[0-9a-f]{32}$/)

      await transitionPoll(db, poll.id, 'closed')
      const seal = await db
        .selectFrom('poll_seals')
        .select('chain_head')
        .where('poll_id', '=', poll.id)
        .executeTakeFirstOrThrow()
      // The live results announce the sealed chain's head as soon as the poll closes.
      await expect
        .poll(() => page.getByTestId('seal').textContent())
        .toBe(`Sealed: 10 ballots in a hash chain ending in ${seal.chain_head}`)
      await page.getByRole('link', { name: 'check that yours is there' }).click()
      await expect.poll(() => page.getByLabel('Receipt tracker').inputValue()).toBe(tracker)
      expect(await page.getByLabel('Poll').inputValue()).toBe(poll.id)
      await page.getByRole('button', { name: 'Check' }).click()
      await expect.poll(() => page.getByTestId('found').isVisible()).toBe(true)
      expect(await page.evaluate(() => document.activeElement?.textContent)).toBe(
        'Your ballot is on the board',
      )
      const found = (await page.getByTestId('found').textContent()) ?? ''
      expect(found).toMatch(/Recorded for “On site”, entry #\d+ of 10\./)
      expect(await page.getByTestId('chain-verified').isVisible()).toBe(true)
      expect(await page.getByTestId('head').textContent()).toBe(seal.chain_head)
      const position = Number(/#(\d+)/.exec(found)?.[1])
      const row = await db
        .selectFrom('ballots')
        .select('seq')
        .where('tracker', '=', tracker)
        .executeTakeFirstOrThrow()
      expect(position).toBe(row.seq)
      await shot(page, 'check-found')
      // The verdict, the head and the audit command fit a 360 px screen.
      await page.setViewportSize({ width: 360, height: 740 })
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(
        360,
      )
      await shot(page, 'check-found-360px')
      await page.setViewportSize({ width: 1000, height: 800 })
      // The tracker never left the browser: no request carried it.
      expect(requested.filter((url) => url.includes(tracker))).toEqual([])

      // A tracker that is not on the board, and one that is not a tracker at all.
      await page.getByLabel('Receipt tracker').fill('0123456789abcdef0123456789abcdef')
      await page.getByRole('button', { name: 'Check' }).click()
      await expect.poll(() => page.getByTestId('not-found').isVisible()).toBe(true)
      expect(await page.getByTestId('chain-verified').isVisible()).toBe(true)
      await page.getByLabel('Receipt tracker').fill('not-a-tracker')
      await page.getByRole('button', { name: 'Check' }).click()
      await expect.poll(() => page.getByText('A tracker is 32 characters').isVisible()).toBe(true)

      // Someone changes a ballot in the database: the page says the board no longer adds up.
      await db
        .updateTable('ballots')
        .set({ option_id: online })
        .where('tracker', '=', tracker)
        .execute()
      await page.getByLabel('Receipt tracker').fill(tracker)
      await page.getByRole('button', { name: 'Check' }).click()
      await expect.poll(() => page.getByTestId('chain-broken').isVisible()).toBe(true)
      expect(await page.getByTestId('chain-broken').textContent()).toContain(
        `#${String(row.seq)} (tracker ${tracker}) does not hash to its stated hash`,
      )
      await shot(page, 'check-tampered')
    } finally {
      await profile.close()
    }
  })

  it('shows only how many have voted in a poll that hides its tally until it closes, then the tally', async () => {
    const poll = await openPoll('Secret until the end', ['Left', 'Right'], {
      resultsVisibility: 'after_close',
    })
    const watcher = await newProfile()
    try {
      const page = await watcher.context.newPage()
      await page.goto(`${base}/polls/${poll.id}`)
      await expect
        .poll(() => page.locator('.total').textContent())
        .toBe('0 votes cast · the tally is shown when the poll closes')
      const voter = await newProfile()
      try {
        const voting = await voter.context.newPage()
        await voting.goto(`${base}/polls/${poll.id}`)
        const account = DEV_ACCOUNTS[1]
        await signInToVote(voting, account.email, account.password)
        await voting.getByLabel('Right').check()
        await voting.getByRole('button', { name: 'Vote' }).click()
        await expect
          .poll(() => voting.getByRole('heading', { name: 'Your vote is counted' }).isVisible())
          .toBe(true)
      } finally {
        await voter.close()
      }
      await expect
        .poll(() => page.locator('.total').textContent())
        .toBe('1 vote cast · the tally is shown when the poll closes')
      expect(await page.locator('.count').allTextContents()).toEqual(['–', '–'])
      await shot(page, 'tally-hidden')

      await transitionPoll(ctx.runtime.database.db, poll.id, 'closed')
      await page.reload()
      await expect.poll(() => page.locator('.total').textContent()).toBe('1 vote · final')
      expect(await page.locator('.count').allTextContents()).toEqual(['0 · 0%', '1 · 100%'])
      // No green "Live" once the poll is closed, nor on a fresh load; one ballot, in the singular.
      expect(await page.locator('.connection').textContent()).toBe('Final results')
      await page.reload()
      await expect.poll(() => page.locator('.connection').getAttribute('data-state')).toBe('final')
      expect(await page.getByTestId('seal').textContent()).toMatch(
        /^Sealed: 1 ballot in a hash chain ending in \S+$/,
      )
    } finally {
      await watcher.close()
    }
  })

  it('tells a voter outside the poll’s group why they cannot vote, and offers no ballot', async () => {
    const poll = await openPoll('Admins decide', ['Keep', 'Change'], { eligibleGroup: 'admins' })
    const voter = await newProfile()
    try {
      const page = await voter.context.newPage()
      await page.goto(`${base}/polls/${poll.id}`)
      expect(await page.getByTestId('eligibility').textContent()).toBe(
        'Only members of the group “admins” may vote.',
      )
      const account = DEV_ACCOUNTS[1]
      await signInToVote(page, account.email, account.password)
      await expect
        .poll(() =>
          page
            .getByText(
              'You cannot vote here: this poll is for members of the group “admins”, and your account is not in it.',
            )
            .isVisible(),
        )
        .toBe(true)
      expect(await page.getByRole('button', { name: 'Vote' }).count()).toBe(0)
      await shot(page, 'not-eligible')
    } finally {
      await voter.close()
    }
  })

  it('lets an admin give a poll a voter list (pasted, then a CSV file); only those on it vote', async () => {
    const adminProfile = await newProfile()
    const voterProfile = await newProfile()
    const outsiderProfile = await newProfile()
    try {
      const admin = await adminProfile.context.newPage()
      await admin.goto(base)
      const [adminAccount, voterAccount] = DEV_ACCOUNTS
      await signInWith(admin, adminAccount.email, adminAccount.password)
      await admin.getByRole('link', { name: 'Admin', exact: true }).click()
      await admin.getByLabel('Title').fill('Treasurer 2027')
      await admin.getByLabel('Option 1', { exact: true }).fill('Kim')
      await admin.getByLabel('Option 2', { exact: true }).fill('Lee')
      await admin.getByLabel('Who may vote').selectOption('roll')
      await admin
        .getByLabel('Voter list: email addresses, one per line')
        .fill('someone@example.org\nnot an address\n')
      await admin.getByRole('button', { name: 'Create draft' }).click()
      // A bad list is refused whole, naming the record; the draft exists with an empty list.
      await expect
        .poll(() => admin.getByText('record 2: not an email address: "not an address"').isVisible())
        .toBe(true)
      const row = admin.locator('li.card', { hasText: 'Treasurer 2027' })
      await expect.poll(() => row.getByText('0 on the voter list').isVisible()).toBe(true)

      await row.getByLabel('Replace the voter list of “Treasurer 2027”').setInputFiles({
        name: 'members.csv',
        mimeType: 'text/csv',
        buffer: Buffer.from(
          `Name,Email\nVoter,${voterAccount.email.toUpperCase()}\nSomeone,someone@example.org\n`,
        ),
      })
      await expect.poll(() => row.getByText('2 on the voter list').isVisible()).toBe(true)
      await shot(admin, 'admin-voter-list')
      await row.getByRole('button', { name: 'Open “Treasurer 2027”' }).click()
      await expect
        .poll(() => admin.getByText('“Treasurer 2027” is now open.').isVisible())
        .toBe(true)
      const pollPath = await row.getByRole('link', { name: 'Treasurer 2027' }).getAttribute('href')

      // On the list: the ballot.
      const voter = await voterProfile.context.newPage()
      await voter.goto(`${base}${pollPath ?? ''}`)
      expect(await voter.getByTestId('eligibility').textContent()).toBe(
        'Only the 2 people on this poll’s voter list may vote.',
      )
      await signInToVote(voter, voterAccount.email, voterAccount.password)
      await voter.getByLabel('Lee').check()
      await voter.getByRole('button', { name: 'Vote' }).click()
      await expect.poll(() => voter.getByText('Your vote is counted').isVisible()).toBe(true)

      // Not on it: why, and no ballot.
      const outsider = await outsiderProfile.context.newPage()
      await outsider.goto(`${base}${pollPath ?? ''}`)
      await signInToVote(outsider, 'watcher@example.com', PASSWORD)
      await expect
        .poll(() =>
          outsider
            .getByText('You are not on this poll’s voter list.', { exact: false })
            .isVisible(),
        )
        .toBe(true)
      expect(await outsider.getByRole('button', { name: 'Vote' }).count()).toBe(0)
      await shot(outsider, 'not-on-voter-list')
    } finally {
      await Promise.all([adminProfile.close(), voterProfile.close(), outsiderProfile.close()])
    }
  })

  it('lets an admin invite someone, who sets a password from the mailed link, signs in and votes', async () => {
    const adminProfile = await newProfile()
    const inviteeProfile = await newProfile()
    try {
      const admin = await adminProfile.context.newPage()
      await admin.goto(base)
      const [adminAccount] = DEV_ACCOUNTS
      await signInWith(admin, adminAccount.email, adminAccount.password)
      await admin.getByRole('link', { name: 'Admin', exact: true }).click()
      await admin.getByLabel('Email address', { exact: true }).fill('invitee@example.org')
      await admin.getByRole('button', { name: 'Send invitation' }).click()
      await expect
        .poll(() => admin.getByText('Invitation sent to invitee@example.org.').isVisible())
        .toBe(true)

      const invitee = await inviteeProfile.context.newPage()
      await invitee.goto(`${base}/auth/dev/mailbox?to=invitee@example.org`)
      const mail = await invitee.locator('pre').first().textContent()
      const link = /http\S+\/auth\/invite\?\S+/.exec(mail ?? '')?.[0]
      expect(link).toBeDefined()
      await invitee.goto(link ?? '')
      await invitee.getByLabel('Password').fill('Invitee-pass-5')
      await invitee.getByRole('button', { name: 'Set password' }).click()
      await expect.poll(() => invitee.getByText('Your account is ready').isVisible()).toBe(true)
      await invitee.getByRole('link', { name: 'Go to votelab' }).click()

      const poll = await openPoll('Invited voices', ['Yes', 'No'])
      await invitee.goto(`${base}/polls/${poll.id}`)
      await signInToVote(invitee, 'invitee@example.org', 'Invitee-pass-5')
      await invitee.getByLabel('Yes').check()
      await invitee.getByRole('button', { name: 'Vote' }).click()
      await expect.poll(() => invitee.getByText('Your vote is counted').isVisible()).toBe(true)
    } finally {
      await Promise.all([adminProfile.close(), inviteeProfile.close()])
    }
  })

  it('shows a long list a page at a time: 20 open polls, then "Show more" for the rest', async () => {
    const titles = Array.from(
      { length: 23 },
      (_, i) => `Paged poll ${String(i + 1).padStart(2, '0')}`,
    )
    for (const title of titles) await openPoll(title, ['Yes', 'No'])
    const profile = await newProfile()
    try {
      const page = await profile.context.newPage()
      await page.goto(base)
      const openSection = page.locator('h2:has-text("Open now") + div')
      await expect.poll(() => openSection.locator('li.card').count()).toBe(20)
      await openSection.getByRole('button', { name: 'Show more' }).click()
      await expect.poll(() => openSection.getByText('Paged poll 01').isVisible()).toBe(true)
      // Every open poll once (the demo's open poll included), and no button once all are shown.
      const shown = await openSection.locator('li.card h3').allTextContents()
      expect(new Set(shown).size).toBe(shown.length)
      for (const title of titles) expect(shown).toContain(title)
      expect(await openSection.getByRole('button', { name: 'Show more' }).count()).toBe(0)
    } finally {
      await profile.close()
    }
  })

  it('shows the API in Swagger UI from this server alone: offline, under its CSP', async () => {
    const profile = await newProfile()
    try {
      const page = await profile.context.newPage()
      const elsewhere: string[] = []
      await page.route('**/*', (route) => {
        const url = route.request().url()
        if (url.startsWith(base) || url.startsWith('data:')) return route.continue()
        elsewhere.push(url)
        return route.abort()
      })
      const violations: string[] = []
      page.on('console', (message) => {
        if (/Content Security Policy/i.test(message.text())) violations.push(message.text())
      })
      await page.goto(`${base}/api/docs`)
      await expect
        .poll(() => page.getByText('/polls/{pollId}/votes', { exact: true }).first().isVisible())
        .toBe(true)
      await expect
        .poll(() => page.getByRole('heading', { name: /votelab API/ }).isVisible())
        .toBe(true)
      expect(elsewhere).toEqual([])
      expect(violations).toEqual([])
      await shot(page, 'api-docs')
    } finally {
      await profile.close()
    }
  })
})
