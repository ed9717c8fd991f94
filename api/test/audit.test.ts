import { spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { auditPoll, formatAudit } from '@votelab/ballot-chain/audit'
import { entryBytes } from '@votelab/ballot-chain'
import { createTestContext, type TestContext } from './support/context.ts'

const AUDITOR = fileURLToPath(new URL('../../scripts/audit-poll.ts', import.meta.url))

let ctx: TestContext
let baseUrl: string
beforeAll(async () => {
  ctx = await createTestContext()
  baseUrl = (await ctx.listen()).url
})
afterAll(() => ctx.close())

/** `pnpm audit:poll` as a person runs it: a process against the API over HTTP. */
function runAuditor(...args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [AUDITOR, ...args])
    let output = ''
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()))
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()))
    child.on('exit', (code) => resolve({ code, output }))
  })
}

/** A closed poll with 12 real votes (5 × A, 4 × B, 3 × C). */
async function sealedPoll() {
  const { pollId, optionIds } = await ctx.openPoll(['A', 'B', 'C'])
  const choices = [0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2]
  for (const [i, choice] of choices.entries()) {
    const response = await ctx.call('POST', `/api/polls/${pollId}/votes`, {
      token: await ctx.voterToken(`audited-${pollId}-${String(i)}`),
      body: { optionId: optionIds[choice] },
    })
    expect(response.status).toBe(201)
  }
  const closed = await ctx.call('POST', `/api/polls/${pollId}/close`, {
    token: await ctx.adminToken(),
  })
  expect(closed.status).toBe(200)
  return { pollId, optionIds: optionIds as [string, string, string] }
}

const db = () => ctx.runtime.database.db

async function ballotAt(pollId: string, seq: number) {
  return db()
    .selectFrom('ballots')
    .select(['tracker', 'option_id', 'entry_hash'])
    .where('poll_id', '=', pollId)
    .where('seq', '=', seq)
    .executeTakeFirstOrThrow()
}

const problems = async (pollId: string) => {
  const audit = await auditPoll(baseUrl, pollId)
  expect(audit.report.ok).toBe(false)
  return audit.report.problems.map((problem) => problem.message)
}

describe('pnpm audit:poll', () => {
  it('passes an honest poll: exit 0 and a readable report', async () => {
    const { pollId } = await sealedPoll()
    const audit = await auditPoll(baseUrl, pollId)
    expect(audit.report).toMatchObject({ ok: true, entries: 12, problems: [] })
    expect(formatAudit(audit)).toContain('PASS')

    const { code, output } = await runAuditor(baseUrl, pollId)
    expect(code, output).toBe(0)
    expect(output).toMatch(/entries\s+12 read, 12 published\s+✓/)
    expect(output).toMatch(/A\s+5\s+5\s+✓/)
    expect(output).toContain('PASS: the board, its chain head and the published results agree.')
  })

  it('fails when a ballot row was changed, naming its position and the tally it skews', async () => {
    const { pollId, optionIds } = await sealedPoll()
    const victim = await ballotAt(pollId, 4)
    const other = optionIds.find((id) => id !== victim.option_id) as string
    await db()
      .updateTable('ballots')
      .set({ option_id: other })
      .where('tracker', '=', victim.tracker)
      .execute()

    const found = await problems(pollId)
    expect(found[0]).toBe(
      `#4 (tracker ${victim.tracker}) does not hash to its stated hash: its contents or its link to #3 were changed`,
    )
    expect(found.filter((message) => /^option .* the results say/.test(message))).toHaveLength(2)

    const { code, output } = await runAuditor(baseUrl, pollId)
    expect(code).toBe(1)
    expect(output).toContain('FAIL: 3 problems')
    expect(output).toContain(`#4 (tracker ${victim.tracker})`)
  })

  it('fails when a ballot was deleted', async () => {
    const { pollId } = await sealedPoll()
    const victim = await ballotAt(pollId, 7)
    await db().deleteFrom('ballots').where('tracker', '=', victim.tracker).execute()
    const found = await problems(pollId)
    expect(found[0]).toBe('#8 follows #6: ballots are missing before it')
    expect(found[1]).toMatch(/^#8 .* does not hash to its stated hash: .* link to #6/)
    expect(found).toContain('the board has 11 ballots, the results published 12')
  })

  it('fails when a ballot was slipped in, even one chained correctly onto the end', async () => {
    const { pollId, optionIds } = await sealedPoll()
    const last = await ballotAt(pollId, 12)
    const tracker = 'f'.repeat(32) // sorts after every real tracker
    const hash = createHash('sha256')
      .update(entryBytes(last.entry_hash ?? '', pollId, 13, optionIds[2], tracker))
      .digest('hex')
    await sql`
      insert into ballots (poll_id, option_id, tracker, seq, entry_hash)
      values (${pollId}, ${optionIds[2]}, ${tracker}, 13, ${hash})`.execute(db())

    const found = await problems(pollId)
    expect(found).toEqual([
      'the board has 13 ballots, the results published 12',
      `the board ends in ${hash}, the results published the head ${last.entry_hash ?? ''}`,
      `option ${optionIds[2]}: the results say 3 votes, the board holds 4`,
    ])
  })

  it('fails when a published tally was changed directly in the database', async () => {
    const { pollId, optionIds } = await sealedPoll()
    await db()
      .updateTable('poll_options')
      .set((eb) => ({ final_votes: eb('final_votes', '+', 10) }))
      .where('id', '=', optionIds[1])
      .execute()
    const results = (await (await ctx.call('GET', `/api/polls/${pollId}/results`)).json()) as {
      options: { votes: number }[]
    }
    expect(results.options[1]?.votes).toBe(14) // the lie is what the API now serves…
    const poll = (await (await ctx.call('GET', `/api/polls/${pollId}`)).json()) as {
      totalVotes: number
    }
    expect(poll.totalVotes).toBe(22) // everywhere: one published tally
    expect(await problems(pollId)).toEqual([
      `option ${optionIds[1]}: the results say 14 votes, the board holds 4`, // …and the board exposes it
    ])
  })

  it('catches a rebuilt chain only against a head recorded earlier (--head)', async () => {
    const { pollId, optionIds } = await sealedPoll()
    const recordedHead = (await ballotAt(pollId, 12)).entry_hash ?? ''
    // The operator rewrites a ballot and rebuilds everything after it, head and tally included.
    const victim = await ballotAt(pollId, 12)
    const previous = await ballotAt(pollId, 11)
    const other = optionIds.find((id) => id !== victim.option_id) as string
    const forged = createHash('sha256')
      .update(entryBytes(previous.entry_hash ?? '', pollId, 12, other, victim.tracker))
      .digest('hex')
    await db()
      .updateTable('ballots')
      .set({ option_id: other, entry_hash: forged })
      .where('tracker', '=', victim.tracker)
      .execute()
    await db()
      .updateTable('poll_seals')
      .set({ chain_head: forged })
      .where('poll_id', '=', pollId)
      .execute()
    await sql`update poll_options set final_votes = final_votes + 1 where id = ${other}`.execute(
      db(),
    )
    await sql`update poll_options set final_votes = final_votes - 1 where id = ${victim.option_id}`.execute(
      db(),
    )

    expect((await auditPoll(baseUrl, pollId)).report.ok).toBe(true) // consistent, but rewritten
    const { code, output } = await runAuditor(baseUrl, pollId, '--head', recordedHead)
    expect(code).toBe(1)
    expect(output).toContain(`not in the head recorded earlier (${recordedHead})`)
  })

  it('exits 2 when there is nothing to audit yet', async () => {
    const { pollId } = await ctx.openPoll()
    const { code, output } = await runAuditor(baseUrl, pollId)
    expect(code).toBe(2)
    expect(output).toContain('it has no sealed chain yet')
    expect((await runAuditor()).code).toBe(2)
  })
})
