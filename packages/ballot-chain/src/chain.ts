// The ballot chain's specification, and the verifier the web page and `pnpm audit:poll` share.
// Nothing here touches Node or the database: it runs in the browser as it does in the API.
// docs/ballot-chain-format.md specifies the format; docs/decisions/010 explains why.

/** Named in every board response, so a future format can never be mistaken for this one. */
export const CHAIN_FORMAT = 'votelab-ballot-chain/1'

/** What entry #1 links to: 32 zero bytes. */
export const GENESIS_HASH = '0'.repeat(64)

const HEX_32 = /^[0-9a-f]{32}$/
const HEX_64 = /^[0-9a-f]{64}$/
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

/** One line of the public bulletin board. */
export interface BoardEntry {
  seq: number
  tracker: string
  optionId: string
  hash: string
}

function hexBytes(hex: string, into: Uint8Array, at: number): void {
  for (let i = 0; i < hex.length; i += 2) into[at + i / 2] = parseInt(hex.slice(i, i + 2), 16)
}

export function toHex(bytes: Uint8Array): string {
  let hex = ''
  for (const byte of bytes) hex += byte.toString(16).padStart(2, '0')
  return hex
}

/**
 * The canonical encoding of one entry: fixed-width binary fields, so no two different entries
 * can encode to the same bytes and no parser is needed to reproduce it (84 bytes):
 *
 *     previous hash (32) ‖ poll id (16, the UUID's bytes) ‖ seq (4, unsigned big-endian)
 *     ‖ option id (16) ‖ tracker (16)
 *
 * The entry's hash is SHA-256 of these bytes. Ids are compared in lower case.
 */
export function entryBytes(
  previousHash: string,
  pollId: string,
  seq: number,
  optionId: string,
  tracker: string,
): Uint8Array<ArrayBuffer> {
  const poll = pollId.toLowerCase()
  const option = optionId.toLowerCase()
  if (!HEX_64.test(previousHash)) throw new Error(`not a SHA-256 hash: ${previousHash}`)
  if (!UUID.test(poll)) throw new Error(`not a UUID: ${pollId}`)
  if (!UUID.test(option)) throw new Error(`not a UUID: ${optionId}`)
  if (!HEX_32.test(tracker)) throw new Error(`not a tracker: ${tracker}`)
  if (!Number.isInteger(seq) || seq < 1 || seq > 0xffffffff) throw new Error(`bad seq: ${seq}`)
  const bytes = new Uint8Array(84)
  hexBytes(previousHash, bytes, 0)
  hexBytes(poll.replaceAll('-', ''), bytes, 32)
  new DataView(bytes.buffer).setUint32(48, seq)
  hexBytes(option.replaceAll('-', ''), bytes, 52)
  hexBytes(tracker, bytes, 68)
  return bytes
}

export type Sha256 = (bytes: Uint8Array<ArrayBuffer>) => Promise<Uint8Array>

/** SHA-256 from WebCrypto: in the browser and in Node alike. */
export const webCryptoSha256: Sha256 = async (bytes) =>
  new Uint8Array(await crypto.subtle.digest('SHA-256', bytes))

/** What the poll's results published: the commitment the board is checked against. */
export interface PublishedChain {
  head: string
  length: number
  /** Votes per option id, as the results state them. */
  tally: Record<string, number>
}

/** The commitment as a poll's results state it: their `chain` and their votes per option. */
export function publishedChain(
  chain: { head: string; length: number },
  options: readonly { optionId: string; votes: number }[],
): PublishedChain {
  return {
    head: chain.head,
    length: chain.length,
    tally: Object.fromEntries(options.map((option) => [option.optionId, option.votes])),
  }
}

export interface ChainProblem {
  /** Where: the board position, or undefined for the chain as a whole. */
  seq: number | undefined
  tracker: string | undefined
  message: string
}

export interface ChainReport {
  ok: boolean
  /** Entries read from the board. */
  entries: number
  /** The last entry's hash, each link checked (the genesis hash for an empty board). */
  head: string
  /** Votes per option, counted from the board. */
  tally: Record<string, number>
  problems: ChainProblem[]
  /** More problems were found than are listed. */
  moreProblems: number
}

const MAX_LISTED_PROBLEMS = 50

/**
 * Checks a board entry by entry, in order, keeping only the previous entry: a board of millions
 * streams through it. Every entry must follow the previous one (seq + 1, a higher tracker) and
 * hash to its stated hash over the previous stated hash, so a changed, removed or added entry is
 * reported where it is; `finish` then compares the last hash, the count and the recount with what
 * the results published.
 */
export class ChainVerifier {
  private readonly pollId: string
  private readonly options: ReadonlySet<string>
  private readonly sha256: Sha256
  private previous: BoardEntry | undefined
  private count = 0
  private readonly tally: Record<string, number> = {}
  private readonly problems: ChainProblem[] = []
  private moreProblems = 0

  constructor(pollId: string, optionIds: Iterable<string>, sha256: Sha256 = webCryptoSha256) {
    this.pollId = pollId.toLowerCase()
    this.options = new Set([...optionIds].map((id) => id.toLowerCase()))
    this.sha256 = sha256
    for (const id of this.options) this.tally[id] = 0
  }

  private problem(entry: Partial<BoardEntry> | undefined, message: string): void {
    if (this.problems.length >= MAX_LISTED_PROBLEMS) this.moreProblems += 1
    else this.problems.push({ seq: entry?.seq, tracker: entry?.tracker, message })
  }

  async add(entry: BoardEntry): Promise<void> {
    this.count += 1
    const previous = this.previous
    this.previous = entry
    const expectedSeq = (previous?.seq ?? 0) + 1
    const at = `#${String(entry.seq)}`
    if (entry.seq !== expectedSeq) {
      this.problem(
        entry,
        entry.seq > expectedSeq
          ? `${at} follows #${String(expectedSeq - 1)}: ballots are missing before it`
          : `${at} repeats or goes back (expected #${String(expectedSeq)})`,
      )
    }
    if (!HEX_32.test(entry.tracker) || !HEX_64.test(entry.hash)) {
      this.problem(entry, `${at} is malformed (tracker or hash)`)
      return
    }
    if (previous && entry.tracker <= previous.tracker) {
      this.problem(
        entry,
        `${at} is out of tracker order or a duplicate of #${String(previous.seq)}`,
      )
    }
    const option = entry.optionId.toLowerCase()
    if (this.options.has(option)) this.tally[option] = (this.tally[option] ?? 0) + 1
    else this.problem(entry, `${at} names an option this poll does not have: ${entry.optionId}`)

    let expectedHash: string | undefined
    try {
      const previousHash = previous && HEX_64.test(previous.hash) ? previous.hash : GENESIS_HASH
      expectedHash = toHex(
        await this.sha256(entryBytes(previousHash, this.pollId, entry.seq, option, entry.tracker)),
      )
    } catch (error) {
      this.problem(entry, `${at} cannot be encoded: ${(error as Error).message}`)
      return
    }
    if (expectedHash !== entry.hash) {
      this.problem(
        entry,
        `${at} (tracker ${entry.tracker}) does not hash to its stated hash: its contents or its link to ${previous ? `#${String(previous.seq)}` : 'the start'} were changed`,
      )
    }
  }

  finish(published: PublishedChain): ChainReport {
    const head = this.previous?.hash ?? GENESIS_HASH
    if (this.count !== published.length) {
      this.problem(
        undefined,
        `the board has ${String(this.count)} ballots, the results published ${String(published.length)}`,
      )
    }
    if (head !== published.head) {
      this.problem(
        undefined,
        `the board ends in ${head}, the results published the head ${published.head}`,
      )
    }
    for (const option of new Set([...Object.keys(this.tally), ...Object.keys(published.tally)])) {
      const counted = this.tally[option] ?? 0
      const stated = published.tally[option] ?? 0
      if (counted !== stated) {
        this.problem(
          undefined,
          `option ${option}: the results say ${String(stated)} votes, the board holds ${String(counted)}`,
        )
      }
    }
    return {
      ok: this.problems.length === 0,
      entries: this.count,
      head,
      tally: { ...this.tally },
      problems: [...this.problems],
      moreProblems: this.moreProblems,
    }
  }
}
