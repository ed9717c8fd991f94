// pnpm audit:poll <base-url> <poll-id> [--head <hash recorded earlier>] [--json]
//
// An independent audit of a closed poll, from public data only: downloads the bulletin board,
// recomputes every entry's hash and the tally, and compares them with the chain head, the count
// and the results the poll published. Prints a report; exits 0 when everything matches, 1 on any
// mismatch, 2 when the audit could not run (no such poll, not closed, board not public, no
// network). The format it checks is specified in docs/ballot-chain-format.md; the audit itself is
// @votelab/ballot-chain/audit (packages/ballot-chain/src/audit.ts).
//
// An operator who rewrites ballots could rebuild the whole chain and publish a new head; `--head`
// compares with the head you (or anyone) recorded when the poll closed, which that cannot fake.
import { createHash } from 'node:crypto'
import { parseArgs } from 'node:util'
import type { Sha256 } from '@votelab/ballot-chain'
import { AuditUnavailable, auditPoll, formatAudit } from '@votelab/ballot-chain/audit'

// node:crypto rather than WebCrypto: the browser's check uses the latter, so the two agree only
// if the format, not one implementation, is right.
const nodeSha256: Sha256 = (bytes) => Promise.resolve(createHash('sha256').update(bytes).digest())

async function main(): Promise<number> {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: { json: { type: 'boolean', default: false }, head: { type: 'string' } },
  })
  const [baseUrl, pollId] = positionals
  if (!baseUrl || !pollId || positionals.length > 2) {
    console.error('usage: pnpm audit:poll <base-url> <poll-id> [--head <hash>] [--json]')
    return 2
  }
  try {
    const audit = await auditPoll(baseUrl, pollId, {
      expectedHead: values.head,
      sha256: nodeSha256,
    })
    console.log(values.json ? JSON.stringify(audit, null, 2) : formatAudit(audit))
    return audit.report.ok ? 0 : 1
  } catch (error) {
    if (!(error instanceof AuditUnavailable)) throw error
    console.error(`audit not possible: ${error.message}`)
    return 2
  }
}

if (import.meta.main) process.exitCode = await main()
