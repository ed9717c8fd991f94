// pnpm smoke <site-url> [--timeout-seconds 600] [--interval-seconds 10]
//
// After a deploy: is the site up? Checks the health endpoint, the page, its config and the API
// through the public URL, retrying until they all pass or time runs out (a new CloudFront
// distribution takes minutes to answer everywhere). Exits 1 if they never do. On GitHub Actions
// it also writes a job summary with the URL.
import { appendFileSync } from 'node:fs'
import { parseArgs } from 'node:util'

interface Check {
  name: string
  path: string
  verify(response: Response, body: string): string | undefined
}

const json = (body: string): Record<string, unknown> => {
  try {
    return JSON.parse(body) as Record<string, unknown>
  } catch {
    return {}
  }
}

const CHECKS: Check[] = [
  {
    name: 'API health',
    path: '/healthz',
    verify: (r, body) =>
      r.status === 200 && json(body).status === 'ok'
        ? undefined
        : `${r.status} ${body.slice(0, 80)}`,
  },
  {
    name: 'web page',
    path: '/',
    verify: (r, body) =>
      r.status === 200 &&
      (r.headers.get('content-type') ?? '').includes('text/html') &&
      body.includes('<main')
        ? undefined
        : `${r.status} ${r.headers.get('content-type') ?? ''}`,
  },
  {
    name: 'page config',
    path: '/config.json',
    verify: (r, body) => {
      const config = json(body)
      return r.status === 200 &&
        typeof config.issuer === 'string' &&
        typeof config.clientId === 'string'
        ? undefined
        : `${r.status} ${body.slice(0, 80)}`
    },
  },
  {
    name: 'open polls',
    path: '/api/polls',
    verify: (r, body) =>
      r.status === 200 && Array.isArray(json(body).polls)
        ? undefined
        : `${r.status} ${body.slice(0, 80)}`,
  },
]

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    'timeout-seconds': { type: 'string', default: '600' },
    'interval-seconds': { type: 'string', default: '10' },
  },
})
const site = positionals[0]?.replace(/\/$/, '')
if (!site || !/^https?:\/\//.test(site)) {
  console.error('usage: pnpm smoke <site-url> [--timeout-seconds 600] [--interval-seconds 10]')
  process.exit(2)
}
const deadline = Date.now() + Number(values['timeout-seconds']) * 1000
const intervalMs = Number(values['interval-seconds']) * 1000

async function run(check: Check): Promise<string | undefined> {
  try {
    const response = await fetch(`${site}${check.path}`, {
      signal: AbortSignal.timeout(10_000),
      redirect: 'follow',
    })
    return check.verify(response, await response.text())
  } catch (error) {
    return error instanceof Error ? error.message : String(error)
  }
}

let failures: (string | undefined)[] = []
for (let round = 1; ; round += 1) {
  failures = await Promise.all(CHECKS.map(run))
  if (failures.every((failure) => failure === undefined)) break
  if (Date.now() + intervalMs > deadline) break
  const failing = CHECKS.filter((_, index) => failures[index] !== undefined).map(
    (check) => check.name,
  )
  console.log(`round ${String(round)}: waiting for ${failing.join(', ')}`)
  await new Promise((resolve) => setTimeout(resolve, intervalMs))
}

const rows = CHECKS.map((check, index) => ({ check, failure: failures[index] }))
for (const { check, failure } of rows) {
  console.log(
    `${failure === undefined ? 'ok  ' : 'FAIL'} ${check.name.padEnd(12)} ${site}${check.path}${failure ? `  (${failure})` : ''}`,
  )
}
const passed = rows.every((row) => row.failure === undefined)

if (process.env.GITHUB_STEP_SUMMARY) {
  appendFileSync(
    process.env.GITHUB_STEP_SUMMARY,
    [
      `### ${passed ? '✅ votelab is up' : '❌ votelab failed its smoke test'}: ${site}`,
      '',
      '| check | URL | result |',
      '| --- | --- | --- |',
      ...rows.map(
        ({ check, failure }) =>
          `| ${check.name} | ${site}${check.path} | ${failure === undefined ? 'ok' : `failed: ${failure}`} |`,
      ),
      '',
    ].join('\n'),
  )
}
process.exit(passed ? 0 : 1)
