import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import {
  ChainVerifier,
  GENESIS_HASH,
  entryBytes,
  toHex,
  webCryptoSha256,
  type BoardEntry,
} from '../src/chain.ts'

const POLL = '00000000-0000-4000-8000-000000000002'
const YES = '11111111-1111-4111-8111-111111111111'
const NO = '22222222-2222-4222-8222-222222222222'

// The test vector of the format's specification, read from docs/ballot-chain-format.md itself
// so the page and the code cannot disagree.
const SPEC = readFileSync(new URL('../../../docs/ballot-chain-format.md', import.meta.url), 'utf8')
const VECTOR = [
  ...SPEC.matchAll(/^\| (\d+) +\| `([0-9a-f-]{36})` \| `([0-9a-f]{32})` \| `([0-9a-f]{64})` \|$/gm),
].map(([, seq, optionId, tracker, hash]) => ({
  seq: Number(seq),
  optionId: optionId ?? '',
  tracker: tracker ?? '',
  hash: hash ?? '',
}))

function handEncoded(previous: string, seq: number, optionId: string, tracker: string): Buffer {
  const seqBytes = Buffer.alloc(4)
  seqBytes.writeUInt32BE(seq)
  return Buffer.concat([
    Buffer.from(previous, 'hex'),
    Buffer.from(POLL.replaceAll('-', ''), 'hex'),
    seqBytes,
    Buffer.from(optionId.replaceAll('-', ''), 'hex'),
    Buffer.from(tracker, 'hex'),
  ])
}

/** The list's element at `index`, which the test knows is there. */
function nth<T>(list: readonly T[], index: number): T {
  const item = list[index]
  if (item === undefined) throw new Error(`no element ${String(index)}`)
  return item
}

/** An honest board of `n` ballots, as the seal builds it. */
function honestBoard(n: number): BoardEntry[] {
  const trackers = Array.from({ length: n }, (_, i) =>
    createHash('md5').update(String(i)).digest('hex'),
  ).sort()
  let previous = GENESIS_HASH
  return trackers.map((tracker, index) => {
    const optionId = index % 3 === 0 ? NO : YES
    const hash = createHash('sha256')
      .update(handEncoded(previous, index + 1, optionId, tracker))
      .digest('hex')
    previous = hash
    return { seq: index + 1, tracker, optionId, hash }
  })
}

async function verify(board: BoardEntry[], published?: { head: string; length: number }) {
  const verifier = new ChainVerifier(POLL, [YES, NO])
  for (const entry of board) await verifier.add(entry)
  const tally: Record<string, number> = { [YES]: 0, [NO]: 0 }
  for (const entry of honestBoard(board.length))
    tally[entry.optionId] = (tally[entry.optionId] ?? 0) + 1
  return verifier.finish({
    head: published?.head ?? board.at(-1)?.hash ?? GENESIS_HASH,
    length: published?.length ?? board.length,
    tally,
  })
}

describe('the ballot chain format', () => {
  it('encodes an entry as 84 fixed-width bytes, matching a hand-made concatenation', () => {
    const bytes = entryBytes(GENESIS_HASH, POLL, 1, YES, nth(VECTOR, 0).tracker)
    expect(bytes).toHaveLength(84)
    expect(Buffer.from(bytes)).toEqual(handEncoded(GENESIS_HASH, 1, YES, nth(VECTOR, 0).tracker))
    // Upper-case ids are the same ids.
    expect(
      entryBytes(GENESIS_HASH, POLL.toUpperCase(), 1, YES.toUpperCase(), nth(VECTOR, 0).tracker),
    ).toEqual(bytes)
  })

  it('reproduces the documented test vector with WebCrypto', async () => {
    expect(VECTOR.map((entry) => entry.seq)).toEqual([1, 2])
    let previous = GENESIS_HASH
    for (const entry of VECTOR) {
      const bytes = entryBytes(previous, POLL, entry.seq, entry.optionId, entry.tracker)
      const hash = toHex(await webCryptoSha256(bytes))
      expect(hash).toBe(entry.hash)
      expect(createHash('sha256').update(bytes).digest('hex')).toBe(entry.hash)
      previous = hash
    }
  })

  it('refuses to encode malformed fields rather than hash something ambiguous', () => {
    expect(() => entryBytes('00', POLL, 1, YES, nth(VECTOR, 0).tracker)).toThrow(/hash/)
    expect(() => entryBytes(GENESIS_HASH, 'poll', 1, YES, nth(VECTOR, 0).tracker)).toThrow(/UUID/)
    expect(() => entryBytes(GENESIS_HASH, POLL, 0, YES, nth(VECTOR, 0).tracker)).toThrow(/seq/)
    expect(() => entryBytes(GENESIS_HASH, POLL, 1, YES, 'XYZ')).toThrow(/tracker/)
  })
})

describe('ChainVerifier', () => {
  it('accepts an honest board, and an empty one against the genesis hash', async () => {
    const report = await verify(honestBoard(30))
    expect(report).toMatchObject({ ok: true, entries: 30, problems: [] })
    expect(report.tally).toEqual({ [YES]: 20, [NO]: 10 })
    expect(await verify([])).toMatchObject({ ok: true, entries: 0, head: GENESIS_HASH })
  })

  it('pinpoints a changed ballot', async () => {
    const board = honestBoard(30)
    board[11] = { ...nth(board, 11), optionId: nth(board, 11).optionId === YES ? NO : YES }
    const report = await verify(board)
    expect(report.ok).toBe(false)
    expect(report.problems[0]).toMatchObject({ seq: 12, tracker: nth(board, 11).tracker })
    expect(report.problems[0]?.message).toMatch(/#12 .* does not hash to its stated hash/)
    expect(report.problems.filter((problem) => problem.seq !== undefined)).toHaveLength(1)
    expect(report.problems.some((problem) => /the results say/.test(problem.message))).toBe(true)
  })

  it('pinpoints a removed ballot, even when the rest is renumbered and rehashed', async () => {
    const board = honestBoard(30)
    const gap = [...board.slice(0, 7), ...board.slice(8)]
    const report = await verify(gap, { head: nth(board, board.length - 1).hash, length: 30 })
    expect(report.problems[0]?.message).toMatch(/#9 follows #7: ballots are missing/)
    expect(
      report.problems.some((problem) =>
        /board has 29 ballots, the results published 30/.test(problem.message),
      ),
    ).toBe(true)
  })

  it('pinpoints an inserted ballot and one out of order', async () => {
    const board = honestBoard(10)
    const inserted = [
      ...board.slice(0, 4),
      { ...nth(board, 4), tracker: nth(board, 4).tracker },
      ...board.slice(4),
    ]
    const report = await verify(inserted, { head: nth(board, board.length - 1).hash, length: 10 })
    expect(report.problems[0]?.message).toMatch(/#5 repeats or goes back/)

    const swapped = [...board]
    ;[swapped[2], swapped[3]] = [nth(swapped, 3), nth(swapped, 2)]
    const second = await verify(swapped, { head: nth(board, board.length - 1).hash, length: 10 })
    expect(second.ok).toBe(false)
    expect(second.problems[0]?.seq).toBe(4)
  })

  it('notices a head that differs from the published one, and options the poll does not have', async () => {
    const board = honestBoard(5)
    const report = await verify(board, { head: 'f'.repeat(64), length: 5 })
    expect(report.problems.map((problem) => problem.message)).toEqual([
      `the board ends in ${nth(board, board.length - 1).hash}, the results published the head ${'f'.repeat(64)}`,
    ])
    const stranger = [...board]
    stranger[2] = { ...nth(stranger, 2), optionId: '33333333-3333-4333-8333-333333333333' }
    const second = await verify(stranger)
    expect(second.problems[0]?.message).toMatch(/#3 names an option this poll does not have/)
  })
})
