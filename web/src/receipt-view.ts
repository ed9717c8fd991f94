import type { Receipt, Results } from './api.ts'
import { h, replace } from './dom.ts'
import { when } from './words.ts'
import { receiptFile, receiptFileName, rememberReceipts, remembersReceipts } from './receipts.ts'

interface ReceiptPoll {
  title: string
  status: 'draft' | 'open' | 'closed'
  publishBallots: boolean
}

/**
 * The receipt after a vote: the tracker, where it is kept, a file to take away, and what to do
 * with it — which depends on whether the poll is still open and whether it publishes its ballots.
 * `chain` gives the seal once the results carry it, so a file saved after closing includes it.
 */
export function receiptView(
  receipt: Receipt,
  poll: ReceiptPoll,
  chain: () => Results['chain'],
): HTMLElement {
  const copy = h('button', { type: 'button', class: 'secondary' }, 'Copy tracker')
  copy.addEventListener('click', () => {
    void navigator.clipboard?.writeText(receipt.tracker).then(
      () => replace(copy, 'Copied'),
      () => replace(copy, 'Select and copy the tracker above'),
    )
  })
  const download = h('button', { type: 'button', class: 'secondary' }, 'Download receipt')
  download.addEventListener('click', () => {
    const file = receiptFile(receipt, poll.title, chain() ?? undefined, location.origin)
    const blob = new Blob([`${JSON.stringify(file, null, 2)}\n`], { type: 'application/json' })
    const link = h('a', { href: URL.createObjectURL(blob), download: receiptFileName(poll.title) })
    link.click()
    setTimeout(() => URL.revokeObjectURL(link.href), 10_000)
  })
  const remember = h('input', {
    type: 'checkbox',
    id: 'remember-receipts',
    checked: remembersReceipts(),
  })
  remember.addEventListener('change', () => {
    rememberReceipts(remember.checked)
  })

  const checkLink = h(
    'a',
    { href: `/polls/${receipt.pollId}/check`, 'data-link': true },
    'check that yours is there',
  )
  const next =
    poll.status !== 'closed'
      ? h(
          'p',
          { class: 'meta', 'data-testid': 'receipt-next' },
          'When the poll closes, every ballot is published: then ',
          checkLink,
          '.',
        )
      : poll.publishBallots
        ? h(
            'p',
            { 'data-testid': 'receipt-next' },
            'The poll is closed and its ballots are published: ',
            checkLink,
            '.',
          )
        : h(
            'p',
            { class: 'meta', 'data-testid': 'receipt-next' },
            'The poll is closed. It keeps its ballots private, so a tracker cannot be looked up; its sealed chain head is published with the results.',
          )

  return h(
    'section',
    { class: 'receipt', 'aria-labelledby': 'receipt-title' },
    h('h2', { id: 'receipt-title' }, 'Your vote is counted'),
    h(
      'p',
      {},
      'Keep this receipt tracker: it identifies your ballot without revealing who you are.',
    ),
    h('p', {}, h('code', { class: 'tracker', 'data-testid': 'tracker' }, receipt.tracker)),
    h('p', { class: 'meta' }, `Cast ${when(receipt.castAt)}`),
    h('div', { class: 'actions' }, copy, download),
    h(
      'p',
      { class: 'meta' },
      'This tab keeps the receipt until you close it; it is shown nowhere else. Download it to keep it.',
    ),
    h(
      'label',
      { class: 'choice', for: 'remember-receipts' },
      remember,
      ' Remember my receipts on this device (not on a shared computer)',
    ),
    next,
  )
}
