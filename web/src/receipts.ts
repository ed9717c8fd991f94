import type { Receipt } from './api.ts'

// Receipts stay in this tab's session storage unless the voter asks this device to remember them:
// on a shared computer, a tracker left behind would let the next person look the voter's choice
// up on the board, so keeping them longer is the voter's choice, never the default.
const receiptKey = (pollId: string) => `votelab.receipt.${pollId}`
const REMEMBER_KEY = 'votelab.remember-receipts'
const RECEIPT_PREFIX = 'votelab.receipt.'

export function remembersReceipts(): boolean {
  return localStorage.getItem(REMEMBER_KEY) === 'yes'
}

export function savedReceipt(pollId: string): Receipt | undefined {
  const saved =
    sessionStorage.getItem(receiptKey(pollId)) ??
    (remembersReceipts() ? localStorage.getItem(receiptKey(pollId)) : null)
  return saved ? (JSON.parse(saved) as Receipt) : undefined
}

export function saveReceipt(receipt: Receipt): void {
  const value = JSON.stringify(receipt)
  sessionStorage.setItem(receiptKey(receipt.pollId), value)
  if (remembersReceipts()) localStorage.setItem(receiptKey(receipt.pollId), value)
}

/** On: this tab's receipts and every later one stay on the device. Off: the device forgets them all. */
export function rememberReceipts(on: boolean): void {
  if (on) {
    localStorage.setItem(REMEMBER_KEY, 'yes')
    for (const key of storageKeys(sessionStorage)) {
      const value = sessionStorage.getItem(key)
      if (value) localStorage.setItem(key, value)
    }
    return
  }
  localStorage.removeItem(REMEMBER_KEY)
  for (const key of storageKeys(localStorage)) localStorage.removeItem(key)
}

function storageKeys(storage: Storage): string[] {
  return Array.from({ length: storage.length }, (_, index) => storage.key(index)).filter(
    (key): key is string => key?.startsWith(RECEIPT_PREFIX) ?? false,
  )
}

/** What a downloaded receipt holds: enough to check the ballot later, on any device. */
export interface ReceiptFile {
  kind: 'votelab ballot receipt'
  poll: { id: string; title: string; url: string }
  tracker: string
  castAt: string
  /** Once the poll is sealed: the head its board must end in, and how many ballots it holds. */
  chain?: { head: string; ballots: number }
  howToCheck: string
}

export function receiptFile(
  receipt: Receipt,
  title: string,
  chain: { head: string; length: number } | undefined,
  origin: string,
): ReceiptFile {
  const checkUrl = `${origin}/polls/${receipt.pollId}/check`
  return {
    kind: 'votelab ballot receipt',
    poll: { id: receipt.pollId, title, url: `${origin}/polls/${receipt.pollId}` },
    tracker: receipt.tracker,
    castAt: receipt.castAt,
    ...(chain ? { chain: { head: chain.head, ballots: chain.length } } : {}),
    howToCheck: chain
      ? `Open ${checkUrl} and enter the tracker, or run: pnpm audit:poll ${origin} ${receipt.pollId} --head ${chain.head}`
      : `After the poll closes, open ${checkUrl} and enter the tracker.`,
  }
}

/** A file name that says what it is: votelab-receipt-which-deployment-strategy.json. */
export function receiptFileName(title: string): string {
  const slug = title
    .normalize('NFKD')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40)
    .replace(/-+$/, '')
  return `votelab-receipt${slug ? `-${slug}` : ''}.json`
}
