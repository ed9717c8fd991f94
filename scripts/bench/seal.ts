// pnpm bench:seal [--ballots 100000] [--options 4]
// What verifiable ballots cost, off the vote path: a poll with N ballots (inserted directly, with
// an Idempotency-Key on every participation row, the worst case) is closed, which seals its
// chain; then the board is read back in export-sized pages and verified as the auditor (node's
// SHA-256) and the browser (WebCrypto) verify it. On Postgres when DATABASE_URL is set (a scratch
// database), otherwise on embedded PGlite. Prints numbers; asserts nothing about speed.
import { mkdtempSync, rmSync } from 'node:fs'
import { createHash } from 'node:crypto'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { sql } from 'kysely'
import { pino } from 'pino'
import { boardPage } from '@votelab/api/ballots/board'
import {
  ChainVerifier,
  publishedChain,
  webCryptoSha256,
  type BoardEntry,
  type Sha256,
} from '@votelab/ballot-chain'
import { loadConfig } from '@votelab/api/config'
import { openDatabase } from '@votelab/api/db/client'
import { migrateToLatest } from '@votelab/api/db/migrate'
import { createPoll, transitionPoll } from '@votelab/api/polls/repository'
import { getResults } from '@votelab/api/results/repository'
import { createScratchDatabase } from './lib.ts'

const { values } = parseArgs({
  options: {
    ballots: { type: 'string', default: '100000' },
    options: { type: 'string', default: '4' },
  },
})
const ballots = Number(values.ballots)
const optionCount = Number(values.options)

const scratch = process.env.DATABASE_URL
  ? await createScratchDatabase(process.env.DATABASE_URL)
  : undefined
const dataDir = mkdtempSync(join(tmpdir(), 'votelab-bench-seal-'))
const config = loadConfig({
  DATABASE_URL: scratch?.url ?? '',
  DATA_DIR: dataDir,
  LOG_LEVEL: 'silent',
})
const database = await openDatabase(config.database, pino({ level: 'silent' }))
const db = database.db
const seconds = (since: number) => (performance.now() - since) / 1000

try {
  await migrateToLatest(db)
  const poll = await createPoll(
    db,
    {
      title: 'Seal benchmark',
      description: '',
      options: Array.from({ length: optionCount }, (_, i) => `Option ${String(i + 1)}`),
      publishBallots: true,
    },
    'bench',
  )
  await transitionPoll(db, poll.id, 'open')
  const optionIds = poll.options.map((option) => option.id)

  let started = performance.now()
  // In slices: each statement stays within the pool's statement timeout.
  for (let from = 1; from <= ballots; from += 100_000) {
    const to = Math.min(ballots, from + 99_999)
    await sql`
      insert into participation (poll_id, voter_sub, key_hash, sealed_receipt)
      select ${poll.id}, 'bench-voter-' || i, md5('key' || i), md5('receipt' || i)
      from generate_series(${from}::int, ${to}::int) as i`.execute(db)
    await sql`
      insert into ballots (poll_id, option_id, tracker)
      select ${poll.id}, (${optionIds}::uuid[])[1 + i % ${optionCount}], md5(random()::text || i)
      from generate_series(${from}::int, ${to}::int) as i`.execute(db)
  }
  const filled = seconds(started)

  started = performance.now()
  await transitionPoll(db, poll.id, 'closed')
  const sealSeconds = seconds(started)
  const results = await getResults(db, poll.id)
  if (!results?.chain) throw new Error('the poll was not sealed')
  const { chain } = results
  const published = publishedChain(
    chain,
    results.options.map(({ optionId, votes }) => ({ optionId, votes: votes ?? 0 })),
  )

  // The export's query pattern: keyset pages of 5,000.
  started = performance.now()
  const entries: BoardEntry[] = []
  let ndjsonBytes = 0
  for (let after = 0; ;) {
    const page = await boardPage(db, poll.id, after, 5_000)
    const last = page.at(-1)
    if (!last) break
    for (const entry of page) ndjsonBytes += JSON.stringify(entry).length + 1
    entries.push(...page)
    after = last.seq
  }
  const readSeconds = seconds(started)

  const verify = async (sha256: Sha256) => {
    const at = performance.now()
    const verifier = new ChainVerifier(poll.id, optionIds, sha256)
    for (const entry of entries) await verifier.add(entry)
    const report = verifier.finish(published)
    if (!report.ok) throw new Error(`the honest board failed: ${report.problems[0]?.message ?? ''}`)
    return seconds(at)
  }
  const nodeSeconds = await verify((bytes) =>
    Promise.resolve(createHash('sha256').update(bytes).digest()),
  )
  const webSeconds = await verify(webCryptoSha256)

  const rate = (count: number, s: number) => `${Math.round(count / s).toLocaleString('en')} /s`
  const rows: [string, string][] = [
    ['database', database.kind],
    ['ballots', ballots.toLocaleString('en')],
    ['fill (insert) s', filled.toFixed(2)],
    ['close + seal s', sealSeconds.toFixed(2)],
    ['seal per ballot µs', ((sealSeconds / ballots) * 1e6).toFixed(1)],
    ['board read s', `${readSeconds.toFixed(2)} (${rate(ballots, readSeconds)})`],
    ['NDJSON export MB', (ndjsonBytes / 1e6).toFixed(1)],
    ['verify, node:crypto s', `${nodeSeconds.toFixed(2)} (${rate(ballots, nodeSeconds)})`],
    ['verify, WebCrypto s', `${webSeconds.toFixed(2)} (${rate(ballots, webSeconds)})`],
    ['head', chain.head],
  ]
  for (const [name, value] of rows) console.log(`  ${name.padEnd(24)} ${value}`)
} finally {
  await database.close()
  await scratch?.drop()
  rmSync(dataDir, { recursive: true, force: true })
}
