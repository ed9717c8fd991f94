import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium, type Browser, type BrowserContext } from 'playwright-core'

/**
 * Debian's Chromium (`.ci/run` installs it); CHROMIUM_PATH points elsewhere; otherwise the
 * Chromium `playwright-core install chromium` downloads (GitHub Actions: `pnpm browser:install`).
 */
export const chromiumPath =
  process.env.CHROMIUM_PATH ??
  (existsSync('/usr/bin/chromium') ? '/usr/bin/chromium' : chromium.executablePath())
export const haveChromium = existsSync(chromiumPath)
export const webDist = fileURLToPath(new URL('../dist', import.meta.url))
export const screenshotDir = fileURLToPath(new URL('./screenshots', import.meta.url))

export { freePort } from '@votelab/testkit/ports'

const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]

/**
 * A fresh browser profile: its own cookies and storage, like a second person on another machine.
 * Closing it fails if the page broke its own Content-Security-Policy (the one CloudFront sends).
 */
export async function newProfile(): Promise<{ context: BrowserContext; close(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'votelab-chromium-'))
  const context = await chromium.launchPersistentContext(dir, {
    executablePath: chromiumPath,
    args: FLAGS,
    viewport: { width: 1000, height: 800 },
  })
  const violations: string[] = []
  context.on('console', (message) => {
    if (/Content Security Policy/i.test(message.text())) violations.push(message.text())
  })
  return {
    context,
    async close() {
      await context.close()
      rmSync(dir, { recursive: true, force: true })
      if (violations.length > 0) {
        throw new Error(`the page broke its Content-Security-Policy:\n${violations.join('\n')}`)
      }
    },
  }
}

export type { Browser }
