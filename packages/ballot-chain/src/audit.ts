// The independent audit of a closed poll, from public data only: download the bulletin board over
// HTTP, recompute every entry's hash and the tally, and compare them with the chain head, the count
// and the results the poll published. `pnpm audit:poll` is its command line; it runs in a browser
// as well (fetch and streams only).
import {
  ChainVerifier,
  publishedChain,
  webCryptoSha256,
  type BoardEntry,
  type ChainReport,
  type PublishedChain,
  type Sha256,
} from './chain.ts'

interface PollView {
  id: string
  title: string
  status: string
  options: { id: string; label: string }[]
}

interface ResultsView {
  status: string
  options: { optionId: string; label: string; votes: number }[]
  chain: { format: string; head: string; length: number; published: boolean } | null
}

export interface Audit {
  pollId: string
  title: string
  boardUrl: string
  published: PublishedChain
  labels: Record<string, string>
  report: ChainReport
}

/** The audit could not be carried out (as opposed to: it found a mismatch). */
export class AuditUnavailable extends Error {}

/** A successful response from `url`, or AuditUnavailable saying what came back instead. */
async function fetchOk(url: string): Promise<Response> {
  let response: Response
  try {
    response = await fetch(url)
  } catch (error) {
    throw new AuditUnavailable(`cannot reach ${url}: ${(error as Error).message}`)
  }
  if (response.ok) return response
  const body = (await response.json().catch(() => undefined)) as
    { error?: { message?: string } } | undefined
  throw new AuditUnavailable(
    `${url} answered ${String(response.status)}${body?.error?.message ? `: ${body.error.message}` : ''}`,
  )
}

async function getJson<T>(url: string): Promise<T> {
  const response = await fetchOk(url)
  try {
    return (await response.json()) as T
  } catch {
    throw new AuditUnavailable(`${url} did not answer JSON`)
  }
}

/** NDJSON lines as they arrive: the board is never held in memory whole. */
async function* ndjsonLines(response: Response): AsyncGenerator<string> {
  if (!response.body) return
  const decoder = new TextDecoder()
  let buffered = ''
  for await (const chunk of response.body) {
    buffered += decoder.decode(chunk, { stream: true })
    let newline = buffered.indexOf('\n')
    while (newline >= 0) {
      const line = buffered.slice(0, newline)
      buffered = buffered.slice(newline + 1)
      if (line.trim()) yield line
      newline = buffered.indexOf('\n')
    }
  }
  buffered += decoder.decode()
  if (buffered.trim()) yield buffered
}

export async function auditPoll(
  baseUrl: string,
  pollId: string,
  options: { expectedHead?: string | undefined; sha256?: Sha256 } = {},
): Promise<Audit> {
  const base = baseUrl.replace(/\/+$/, '')
  const pollUrl = `${base}/api/polls/${encodeURIComponent(pollId)}`
  const [poll, results] = await Promise.all([
    getJson<PollView>(pollUrl),
    getJson<ResultsView>(`${pollUrl}/results`),
  ])
  if (!results.chain) {
    throw new AuditUnavailable(`poll ${pollId} is ${results.status}: it has no sealed chain yet`)
  }
  if (!results.chain.published) {
    throw new AuditUnavailable(`poll ${pollId} does not publish its ballots`)
  }
  const published = publishedChain(results.chain, results.options)

  const boardUrl = `${pollUrl}/ballots?format=ndjson`
  const response = await fetchOk(boardUrl)
  const verifier = new ChainVerifier(
    pollId,
    poll.options.map((option) => option.id),
    options.sha256 ?? webCryptoSha256,
  )
  let lineNumber = 0
  for await (const line of ndjsonLines(response)) {
    lineNumber += 1
    let entry: BoardEntry
    try {
      entry = JSON.parse(line) as BoardEntry
    } catch {
      throw new AuditUnavailable(`line ${String(lineNumber)} of the board is not JSON`)
    }
    await verifier.add(entry)
  }
  return {
    pollId,
    title: poll.title,
    boardUrl,
    published,
    labels: Object.fromEntries(poll.options.map((option) => [option.id, option.label])),
    report: withExpectedHead(verifier.finish(published), options.expectedHead),
  }
}

function withExpectedHead(report: ChainReport, expectedHead: string | undefined): ChainReport {
  if (expectedHead === undefined || expectedHead.toLowerCase() === report.head) return report
  return {
    ...report,
    ok: false,
    problems: [
      ...report.problems,
      {
        seq: undefined,
        tracker: undefined,
        message: `the board ends in ${report.head}, not in the head recorded earlier (${expectedHead})`,
      },
    ],
  }
}

const mark = (ok: boolean) => (ok ? '✓' : '✗')

export function formatAudit(audit: Audit): string {
  const { report, published } = audit
  const linksOk = !report.problems.some((problem) => problem.seq !== undefined)
  const lines = [
    `votelab audit · poll ${audit.pollId} · ${audit.title}`,
    `board    ${audit.boardUrl}`,
    `entries  ${String(report.entries)} read, ${String(published.length)} published   ${mark(report.entries === published.length)}`,
    `links    every entry hashes to its stated hash over the previous one   ${mark(linksOk)}`,
    `head     recomputed ${report.head}`,
    `         published  ${published.head}   ${mark(report.head === published.head)}`,
    'tally    option                       board  published',
  ]
  for (const [optionId, label] of Object.entries(audit.labels)) {
    const counted = report.tally[optionId] ?? 0
    const stated = published.tally[optionId] ?? 0
    lines.push(
      `         ${label.slice(0, 28).padEnd(28)} ${String(counted).padStart(6)} ${String(stated).padStart(10)}   ${mark(counted === stated)}`,
    )
  }
  if (report.ok) {
    lines.push('', 'PASS: the board, its chain head and the published results agree.')
  } else {
    const count = report.problems.length + report.moreProblems
    lines.push('', `FAIL: ${String(count)} problem${count === 1 ? '' : 's'}`)
    for (const problem of report.problems) lines.push(`  - ${problem.message}`)
    if (report.moreProblems) lines.push(`  … and ${String(report.moreProblems)} more`)
  }
  return lines.join('\n')
}
