import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { gzipSync } from 'node:zlib'
import { describe, expect, it } from 'vitest'
import { webDist } from './browser.ts'

/** What a first visit downloads before the page can run: the entry script and its preloads. */
function initialScripts(): string[] {
  const html = readFileSync(join(webDist, 'index.html'), 'utf8')
  const scripts = [...html.matchAll(/<script[^>]*\ssrc="([^"]+)"/g)].map((match) => match[1])
  const preloads = [...html.matchAll(/<link[^>]*rel="modulepreload"[^>]*href="([^"]+)"/g)].map(
    (match) => match[1],
  )
  return [...scripts, ...preloads].filter((path): path is string => path !== undefined)
}

const docs = fileURLToPath(new URL('../../docs/web.md', import.meta.url))

// The built page (global-setup.ts builds it), measured as Vite reports it: gzip, 1 kB = 1000 B.
describe('the initial JavaScript', () => {
  const files = initialScripts()
  const kilobytes =
    files.reduce((sum, path) => sum + gzipSync(readFileSync(join(webDist, path))).length, 0) / 1000

  it('stays within the budget docs/web.md states', () => {
    const budget = /budget: (\d+) KB/.exec(readFileSync(docs, 'utf8'))?.[1]
    expect(budget, 'docs/web.md names the budget').toBeDefined()
    expect(files.length).toBeGreaterThan(0)
    expect(kilobytes).toBeLessThanOrEqual(Number(budget))
  })

  it('is the size docs/web.md says it is', () => {
    const stated = /Initial JavaScript: (\d+) KB gzip/.exec(readFileSync(docs, 'utf8'))?.[1]
    expect(
      Number(stated),
      `docs/web.md says ${String(stated)} KB; the build is ${kilobytes.toFixed(2)} KB: update it`,
    ).toBe(Math.round(kilobytes))
  })
})
