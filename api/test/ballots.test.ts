import { createHash } from 'node:crypto'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { GENESIS_HASH } from '@votelab/ballot-chain'
import type { InferResponseType } from 'hono/client'
import {
  bodyOf,
  createTestContext,
  type ApiClient,
  type ErrorAnswer,
  type TestContext,
} from './support/context.ts'
import { onPostgres } from './support/databases.ts'

let ctx: TestContext
let admin: string
beforeAll(async () => {
  ctx = await createTestContext()
  admin = await ctx.adminToken()
})
afterAll(() => ctx.close())

// The shapes come from the routes themselves (Hono's typed client), not declared here.
type PollRoutes = ApiClient['api']['polls'][':pollId']
/** A JSON page of the board (the same route also streams NDJSON and CSV). */
type BoardPage = Extract<
  InferResponseType<PollRoutes['ballots']['$get'], 200>,
  { ballots: unknown }
>
type Entry = BoardPage['ballots'][number]
type FoundBallot = InferResponseType<PollRoutes['ballots'][':tracker']['$get'], 200>

const json = async <T>(response: Response, status = 200): Promise<T> => {
  expect(response.status, await response.clone().text()).toBe(status)
  return (await response.json()) as T
}

/** Opens a poll, lets `votes.length` voters vote (option index each), returns their trackers. */
async function pollWithVotes(votes: number[], extra: Record<string, unknown> = {}) {
  const { pollId, optionIds } = await ctx.openPoll(['Red', 'Green', 'Blue'], extra)
  const trackers = new Map<string, string>()
  for (const [i, choice] of votes.entries()) {
    const voter = await ctx.voterToken(`board-voter-${pollId}-${String(i)}`)
    const { receipt } = await bodyOf(await ctx.castVote(voter, pollId, optionIds[choice]), 201)
    trackers.set(receipt.tracker, optionIds[choice] as string)
  }
  return { pollId, optionIds, trackers }
}

const close = async (pollId: string) =>
  bodyOf(await ctx.client(admin).api.polls[':pollId'].close.$post({ param: { pollId } }), 200)

const resultsOf = (pollId: string) => ctx.results(pollId)

const sha256 = (...parts: Buffer[]) =>
  createHash('sha256').update(Buffer.concat(parts)).digest('hex')
const uuidBytes = (id: string) => Buffer.from(id.replaceAll('-', ''), 'hex')

describe('sealing a poll into its ballot chain', () => {
  it('publishes no chain while the poll is open, and keeps the board shut', async () => {
    const { pollId } = await pollWithVotes([0, 1])
    const results = await resultsOf(pollId)
    expect(results.chain).toBeNull()
    const board = await ctx.call('GET', `/api/polls/${pollId}/ballots`)
    expect(board.status).toBe(409)
    expect(((await board.json()) as ErrorAnswer).error.code).toBe('poll_not_closed')
  })

  it('seals at close: head and count with the results, every receipt on the board exactly once', async () => {
    const votes = [0, 1, 2, 0, 0, 1, 2, 2, 2, 0, 1, 0]
    const { pollId, optionIds, trackers } = await pollWithVotes(votes)
    await close(pollId)

    const results = await resultsOf(pollId)
    expect(results.status).toBe('closed')
    expect(results.chain).toMatchObject({
      format: 'votelab-ballot-chain/1',
      length: votes.length,
      published: true,
    })
    expect(results.options.map((option) => option.votes)).toEqual([5, 3, 4])

    // Paged, five at a time, following `next`.
    const entries: Entry[] = []
    let url: string | null = `/api/polls/${pollId}/ballots?limit=5`
    while (url) {
      const page: BoardPage = await json<BoardPage>(await ctx.call('GET', url))
      expect(page.chain.head).toBe(results.chain?.head)
      entries.push(...page.ballots)
      url = page.next
    }
    expect(entries.map((entry) => entry.seq)).toEqual(votes.map((_, i) => i + 1))
    expect(entries.map((entry) => entry.tracker)).toEqual([...trackers.keys()].sort())
    for (const entry of entries) expect(entry.optionId).toBe(trackers.get(entry.tracker))

    // Every hash, recomputed here from the documented byte layout.
    let previous = GENESIS_HASH
    for (const entry of entries) {
      const seq = Buffer.alloc(4)
      seq.writeUInt32BE(entry.seq)
      const expected = sha256(
        Buffer.from(previous, 'hex'),
        uuidBytes(pollId),
        seq,
        uuidBytes(entry.optionId),
        Buffer.from(entry.tracker, 'hex'),
      )
      expect(entry.hash).toBe(expected)
      previous = expected
    }
    expect(results.chain?.head).toBe(previous)
    expect(optionIds).toContain(entries[0]?.optionId)
  })

  it('exports the whole board as NDJSON and CSV, identical to the pages', async () => {
    const { pollId } = await pollWithVotes([0, 1, 1, 2, 0])
    await close(pollId)
    const page = await json<BoardPage>(await ctx.call('GET', `/api/polls/${pollId}/ballots`))
    expect(page.next).toBeNull()

    const ndjson = await ctx.call('GET', `/api/polls/${pollId}/ballots?format=ndjson`)
    expect(ndjson.status).toBe(200)
    expect(ndjson.headers.get('content-type')).toBe('application/x-ndjson')
    expect(ndjson.headers.get('votelab-chain-head')).toBe(page.chain.head)
    expect(ndjson.headers.get('votelab-chain-length')).toBe('5')
    const lines = (await ndjson.text()).trimEnd().split('\n')
    expect(lines.map((line) => JSON.parse(line) as Entry)).toEqual(page.ballots)

    const csv = await ctx.call('GET', `/api/polls/${pollId}/ballots?format=csv`)
    expect(csv.headers.get('content-type')).toBe('text/csv; charset=utf-8')
    expect(csv.headers.get('content-disposition')).toContain('attachment')
    expect((await csv.text()).trimEnd().split('\n')).toEqual([
      'seq,tracker,optionId,hash',
      ...page.ballots.map((b) => `${String(b.seq)},${b.tracker},${b.optionId},${b.hash}`),
    ])
  })

  it('finds one ballot by tracker, with the hash it links to', async () => {
    const { pollId, trackers } = await pollWithVotes([2, 0, 1, 1])
    await close(pollId)
    const { ballots } = await json<BoardPage>(await ctx.call('GET', `/api/polls/${pollId}/ballots`))
    const third = ballots[2] as Entry
    // Upper case on purpose: trackers are matched case-insensitively.
    const found = await json<FoundBallot>(
      await ctx.call('GET', `/api/polls/${pollId}/ballots/${third.tracker.toUpperCase()}`),
    )
    expect(found.ballot).toMatchObject({ ...third, optionLabel: expect.any(String) as string })
    expect(found.previousHash).toBe(ballots[1]?.hash)
    expect(trackers.get(third.tracker)).toBe(found.ballot.optionId)
    const first = await json<FoundBallot>(
      await ctx.call('GET', `/api/polls/${pollId}/ballots/${(ballots[0] as Entry).tracker}`),
    )
    expect(first.previousHash).toBe(GENESIS_HASH)

    const unknown = await ctx.call('GET', `/api/polls/${pollId}/ballots/${'ab'.repeat(16)}`)
    expect(unknown.status).toBe(404)
    expect(((await unknown.json()) as ErrorAnswer).error.code).toBe('ballot_not_found')
  })

  it('puts no identities and no cast times on the board, and erases cast times in the database', async () => {
    const { pollId } = await pollWithVotes([0, 1, 2])
    await close(pollId)
    const body = await (await ctx.call('GET', `/api/polls/${pollId}/ballots?format=ndjson`)).text()
    expect(body).not.toContain('board-voter')
    expect(body).not.toMatch(/\d{4}-\d\d-\d\dT/)
    const rows = await ctx.runtime.database.db
      .selectFrom('ballots')
      .select(['cast_at', 'seq'])
      .where('poll_id', '=', pollId)
      .execute()
    expect(rows).toHaveLength(3)
    for (const row of rows)
      expect(row).toMatchObject({ cast_at: null, seq: expect.any(Number) as number })
    // Nor do the rows' transaction ids tie a ballot to its vote batch (whose id the voter's
    // participation row still carries): every sealed ballot row was rewritten by the seal.
    const { rows: xmins } = await sql<{ ballots: string[]; participation: string[] }>`
      select
        array(select distinct xmin::text from ballots where poll_id = ${pollId}) as ballots,
        array(select distinct xmin::text from participation where poll_id = ${pollId}) as participation
    `.execute(ctx.runtime.database.db)
    expect(xmins[0]?.ballots).toHaveLength(1)
    expect(xmins[0]?.participation).toHaveLength(3)
    expect(xmins[0]?.participation).not.toContain(xmins[0]?.ballots[0])
  })

  it('seals an empty poll to the genesis hash', async () => {
    const { pollId } = await ctx.openPoll()
    await close(pollId)
    const results = await resultsOf(pollId)
    expect(results.chain).toMatchObject({ head: GENESIS_HASH, length: 0 })
    const page = await json<BoardPage>(await ctx.call('GET', `/api/polls/${pollId}/ballots`))
    expect(page).toMatchObject({ ballots: [], next: null })
  })

  it('seals a poll that closed by its closing time on the first read', async () => {
    const { pollId } = await pollWithVotes([1, 1, 0], {
      closesAt: new Date(Date.now() + 1_500).toISOString(),
    })
    await new Promise((resolve) => setTimeout(resolve, 1_700))
    const results = await resultsOf(pollId)
    const page = await json<BoardPage>(await ctx.call('GET', `/api/polls/${pollId}/ballots`))
    expect(results.chain).toMatchObject({ length: 3, head: page.chain.head })
    expect(page.ballots).toHaveLength(3)
    const seals = await ctx.runtime.database.db
      .selectFrom('poll_seals')
      .select('poll_id')
      .where('poll_id', '=', pollId)
      .execute()
    expect(seals).toHaveLength(1)
    const poll = await ctx.runtime.database.db
      .selectFrom('polls')
      .select('status')
      .where('id', '=', pollId)
      .executeTakeFirstOrThrow()
    expect(poll.status).toBe('closed')
  })

  it.runIf(onPostgres)(
    'answers 503 "sealing" instead of queueing readers behind a seal in progress',
    async () => {
      const { pollId } = await pollWithVotes([0, 1], {
        closesAt: new Date(Date.now() + 1_000).toISOString(),
      })
      await new Promise((resolve) => setTimeout(resolve, 1_200))
      // Another connection holds the poll's row lock, as a seal in progress does.
      const other = await ctx.testDatabase.open()
      let release: () => void = () => undefined
      const held = new Promise<void>((resolve) => (release = resolve))
      let locked: () => void = () => undefined
      const lockTaken = new Promise<void>((resolve) => (locked = resolve))
      const holder = other.db.transaction().execute(async (trx) => {
        await trx.selectFrom('polls').select('id').where('id', '=', pollId).forUpdate().execute()
        locked()
        await held
      })
      try {
        await lockTaken
        const started = performance.now()
        const board = await ctx.call('GET', `/api/polls/${pollId}/ballots`)
        expect(board.status).toBe(503)
        expect(board.headers.get('retry-after')).toBe('2')
        expect(((await board.json()) as ErrorAnswer).error.code).toBe('sealing')
        const results = await resultsOf(pollId)
        expect(results).toMatchObject({ status: 'closed', totalVotes: 2, chain: null })
        expect(performance.now() - started).toBeLessThan(1_000) // nobody waited for the lock
      } finally {
        release()
        await holder
        await other.close()
      }
      const page = await json<BoardPage>(await ctx.call('GET', `/api/polls/${pollId}/ballots`))
      expect(page.ballots).toHaveLength(2)
    },
  )

  it('chains every acknowledged vote when the poll closes in the middle of voting', async () => {
    const { pollId, optionIds } = await ctx.openPoll()
    const tokens = await Promise.all(
      Array.from({ length: 60 }, (_, i) => ctx.voterToken(`racer-${pollId}-${String(i)}`)),
    )
    const votes = tokens.map((token, i) =>
      ctx.call('POST', `/api/polls/${pollId}/votes`, {
        token,
        body: { optionId: optionIds[i % 3] },
      }),
    )
    await new Promise((resolve) => setTimeout(resolve, 5))
    const closing = close(pollId)
    const statuses = (await Promise.all(votes)).map((response) => response.status)
    await closing
    const accepted = statuses.filter((status) => status === 201).length
    expect(statuses.every((status) => status === 201 || status === 409)).toBe(true)
    const results = await resultsOf(pollId)
    expect(results.chain?.length).toBe(accepted)
    expect(results.totalVotes).toBe(accepted)
  })

  it('keeps the board private when the poll says so, but still publishes the head', async () => {
    const { pollId, trackers } = await pollWithVotes([0, 2], { publishBallots: false })
    const poll = await bodyOf(
      await ctx.client().api.polls[':pollId'].$get({ param: { pollId } }),
      200,
    )
    expect(poll.publishBallots).toBe(false)
    await close(pollId)
    const results = await resultsOf(pollId)
    expect(results.chain).toMatchObject({ length: 2, published: false })
    for (const path of [
      'ballots',
      'ballots?format=csv',
      `ballots/${[...trackers.keys()][0] ?? ''}`,
    ]) {
      const response = await ctx.call('GET', `/api/polls/${pollId}/${path}`)
      expect(response.status).toBe(403)
      expect(((await response.json()) as ErrorAnswer).error.code).toBe('ballots_not_published')
    }
  })

  it('refuses bad queries, trackers and polls with clear errors', async () => {
    const { pollId } = await pollWithVotes([0])
    await close(pollId)
    const cases: [string, number, string][] = [
      [`/api/polls/${pollId}/ballots?limit=0`, 400, 'validation_failed'],
      [`/api/polls/${pollId}/ballots?limit=5000`, 400, 'validation_failed'],
      [`/api/polls/${pollId}/ballots?after=-1`, 400, 'validation_failed'],
      [`/api/polls/${pollId}/ballots?after=x`, 400, 'validation_failed'],
      [`/api/polls/${pollId}/ballots?format=xml`, 400, 'validation_failed'],
      [`/api/polls/${pollId}/ballots/not-a-tracker`, 400, 'validation_failed'],
      [`/api/polls/not-a-uuid/ballots`, 400, 'validation_failed'],
      [`/api/polls/00000000-0000-4000-8000-00000000dead/ballots`, 404, 'not_found'],
    ]
    for (const [path, status, code] of cases) {
      const response = await ctx.call('GET', path)
      expect(response.status, path).toBe(status)
      expect(((await response.json()) as ErrorAnswer).error.code, path).toBe(code)
    }
    const draft = await bodyOf(
      await ctx
        .client(admin)
        .api.polls.$post({ json: { title: 'Draft board', options: ['A', 'B'] } }),
      201,
    )
    expect((await ctx.call('GET', `/api/polls/${draft.id}/ballots`)).status).toBe(404)
    expect((await ctx.call('GET', `/api/polls/${draft.id}/ballots`, { token: admin })).status).toBe(
      409,
    )
  })

  it('refuses a publishBallots that is not a boolean', async () => {
    const response = await ctx.call('POST', '/api/polls', {
      token: admin,
      body: { title: 'Bad', options: ['A', 'B'], publishBallots: 'yes' },
    })
    expect(response.status).toBe(400)
    expect(((await response.json()) as ErrorAnswer).error.code).toBe('validation_failed')
  })
})
