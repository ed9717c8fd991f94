import type { Receipt } from './api.ts'

// Receipts stay in this tab's session storage only: on a shared computer, a tracker left behind
// would let the next person look the voter's choice up on the board.
const receiptKey = (pollId: string) => `votelab.receipt.${pollId}`

export function savedReceipt(pollId: string): Receipt | undefined {
  const saved = sessionStorage.getItem(receiptKey(pollId))
  return saved ? (JSON.parse(saved) as Receipt) : undefined
}

export function saveReceipt(receipt: Receipt): void {
  sessionStorage.setItem(receiptKey(receipt.pollId), JSON.stringify(receipt))
}
