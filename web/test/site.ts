import { mkdirSync } from 'node:fs'
import type { Page } from 'playwright-core'
import {
  createAccount,
  createPoll,
  createTestContext,
  ensureDevAccounts,
  seedDemoPolls,
  transitionPoll,
  type TestContext,
} from '@votelab/api/testing'
import { freePort, screenshotDir, webDist } from './browser.ts'

/** The password of the accounts the browser tests make for themselves. */
export const PASSWORD = 'Browser-pass-1'

/** A full-page screenshot into web/test/screenshots (the README shows some of them). */
export const shot = (page: Page, name: string) =>
  page.screenshot({ path: `${screenshotDir}/${name}.png`, fullPage: true })

export interface Site {
  ctx: TestContext
  /** The server's origin: page, API and sign-in provider in one. */
  base: string
  /** A poll created and opened straight in the database (the admin page has a test of its own). */
  openPoll(
    title: string,
    options: string[],
    settings?: { resultsVisibility?: 'live' | 'after_close'; eligibleGroup?: string },
  ): ReturnType<typeof createPoll>
  close(): Promise<void>
}

/**
 * The API serving the freshly built page, with the demo polls, the development accounts and
 * watcher@example.com (PASSWORD). The page signs in against the issuer in /config.json, so that
 * issuer must be this very server.
 */
export async function startSite(): Promise<Site> {
  mkdirSync(screenshotDir, { recursive: true })
  const port = await freePort()
  const base = `http://127.0.0.1:${port}`
  const ctx = await createTestContext({
    PORT: String(port),
    PUBLIC_URL: base,
    WEB_DIST_DIR: webDist,
    RESULTS_COALESCE_MS: '100',
  })
  await ctx.listen()
  const db = ctx.runtime.database.db
  await seedDemoPolls(db)
  await ensureDevAccounts(db)
  await createAccount(db, 'watcher@example.com', PASSWORD, [], { verified: true })
  return {
    ctx,
    base,
    async openPoll(title, options, { resultsVisibility = 'live', eligibleGroup } = {}) {
      const poll = await createPoll(
        db,
        {
          title,
          description: '',
          options,
          publishBallots: true,
          resultsVisibility,
          eligibility: eligibleGroup ? { kind: 'group', group: eligibleGroup } : { kind: 'anyone' },
        },
        'admin',
      )
      await transitionPoll(db, poll.id, 'open')
      return poll
    },
    close: () => ctx.close(),
  }
}

/** From a poll's page: "Sign in to vote", then the provider's form. */
export async function signInToVote(page: Page, email: string, password: string): Promise<void> {
  await page.getByRole('button', { name: 'Sign in to vote' }).click()
  await fillSignIn(page, email, password)
}

/** From any page: the header's "Sign in", then the provider's form. */
export async function signInWith(page: Page, email: string, password: string): Promise<void> {
  await page.getByRole('button', { name: 'Sign in', exact: true }).first().click()
  await fillSignIn(page, email, password)
}

async function fillSignIn(page: Page, email: string, password: string) {
  await page.getByLabel('Email').fill(email)
  await page.getByLabel('Password').fill(password)
  await page.getByRole('button', { name: 'Sign in' }).click()
}
