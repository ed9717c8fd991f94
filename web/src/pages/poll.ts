import { ApiError, type Poll, type Receipt } from '../api.ts'
import type { AppContext } from '../app-context.ts'
import { h, notice, replace } from '../dom.ts'
import { savedReceipt, saveReceipt } from '../receipts.ts'
import { followResults, resultsView } from '../results.ts'

function receiptView(receipt: Receipt) {
  const copy = h('button', { type: 'button', class: 'secondary' }, 'Copy tracker')
  copy.addEventListener('click', () => {
    void navigator.clipboard?.writeText(receipt.tracker).then(
      () => replace(copy, 'Copied'),
      () => replace(copy, 'Select and copy the tracker above'),
    )
  })
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
    h('p', { class: 'meta' }, `Cast at ${new Date(receipt.castAt).toLocaleString()}`),
    copy,
    h(
      'p',
      { class: 'meta' },
      'When the poll closes, every ballot is published: ',
      h(
        'a',
        { href: `/polls/${receipt.pollId}/check`, 'data-link': true },
        'check that yours is there',
      ),
      '.',
    ),
  )
}

function voteMessage(error: unknown): string {
  if (!(error instanceof ApiError)) return 'Something went wrong. Try again.'
  switch (error.code) {
    case 'already_voted':
      return 'You have already voted in this poll.'
    case 'poll_not_open':
      return 'This poll is not open for voting.'
    case 'not_eligible':
      // The API says which rule: the group, the voter list, or an unconfirmed address.
      return error.message || 'You are not eligible to vote in this poll.'
    case 'network':
      return error.message
    default:
      return error.message || 'Your vote was not counted. Try again.'
  }
}

function notEligibleMessage(eligibility: Poll['eligibility']): string {
  switch (eligibility.kind) {
    case 'group':
      return `You cannot vote here: this poll is for members of the group “${eligibility.group}”, and your account is not in it.`
    case 'roll':
      return 'You are not on this poll’s voter list. The list is matched against your account’s confirmed email address: ask the poll’s organiser if you should be on it.'
    default:
      return 'You are not eligible to vote in this poll.'
  }
}

function eligibilityLine(eligibility: Poll['eligibility']): string | undefined {
  switch (eligibility.kind) {
    case 'group':
      return `Only members of the group “${eligibility.group}” may vote.`
    case 'roll':
      return `Only the ${eligibility.voters.toLocaleString()} people on this poll’s voter list may vote.`
    default:
      return undefined
  }
}

export async function pollPage(main: HTMLElement, ctx: AppContext, pollId: string): Promise<void> {
  main.replaceChildren(notice('Loading the poll…'))
  let poll: Poll
  let initialResults
  try {
    ;[poll, initialResults] = await Promise.all([
      ctx.api.read(ctx.api.client.api.polls[':pollId'].$get({ param: { pollId } })),
      ctx.api.read(ctx.api.client.api.polls[':pollId'].results.$get({ param: { pollId } })),
    ])
  } catch (error) {
    main.replaceChildren(
      h('h1', {}, 'Poll'),
      notice(
        error instanceof ApiError && error.status === 404
          ? 'There is no such poll.'
          : voteMessage(error),
        'error',
      ),
    )
    return
  }

  const results = resultsView(initialResults)
  const connection = h(
    'p',
    { class: 'connection', 'data-state': 'connecting' },
    'Connecting to live results…',
  )
  const voteArea = h('div', { class: 'vote-area' })
  replace(
    main,
    h('p', {}, h('a', { href: '/', 'data-link': true }, '← All polls')),
    h('h1', {}, poll.title),
    poll.description ? h('p', { class: 'lead' }, poll.description) : null,
    h(
      'p',
      { class: `status ${poll.status}` },
      poll.status === 'open' ? 'Open for voting' : poll.status === 'closed' ? 'Closed' : 'Draft',
    ),
    eligibilityLine(poll.eligibility)
      ? h('p', { class: 'meta', 'data-testid': 'eligibility' }, eligibilityLine(poll.eligibility))
      : null,
    voteArea,
    h('h2', {}, 'Results'),
    connection,
    results.element,
  )

  // A closed poll's results no longer move: "Final", not a green "Live" (issue 18, item 11).
  let final = initialResults.status === 'closed'
  let state: 'connecting' | 'live' | 'reconnecting' = 'connecting'
  const showConnection = () => {
    connection.dataset.state = final && state === 'live' ? 'final' : state
    replace(
      connection,
      state === 'live'
        ? final
          ? 'Final results'
          : '● Live'
        : state === 'connecting'
          ? 'Connecting to live results…'
          : 'Connection lost, reconnecting…',
    )
  }
  const stop = followResults(
    ctx.api.streamUrl(pollId),
    (next) => {
      final = next.status === 'closed'
      results.update(next)
      showConnection()
    },
    (next) => {
      state = next
      showConnection()
    },
  )
  ctx.onLeave(stop)

  if (poll.status === 'closed') {
    voteArea.replaceChildren(
      h(
        'p',
        {},
        h('a', { href: `/polls/${pollId}/check`, 'data-link': true }, 'Check my ballot'),
        poll.publishBallots
          ? ' — find your receipt on the published board and verify the count.'
          : ' — this poll keeps its ballots private; its chain head is published with the results.',
      ),
    )
  }
  const receipt = savedReceipt(pollId)
  if (receipt) {
    voteArea.replaceChildren(receiptView(receipt))
    return
  }
  if (poll.hasVoted) {
    voteArea.replaceChildren(notice('You have already voted in this poll.'))
    return
  }
  if (poll.status !== 'open') return
  if (poll.eligible === false) {
    voteArea.replaceChildren(notice(notEligibleMessage(poll.eligibility)))
    return
  }
  if (!ctx.me) {
    voteArea.replaceChildren(
      h('p', {}, 'Sign in to vote. '),
      h('button', { type: 'button', onclick: () => void ctx.auth.signIn() }, 'Sign in to vote'),
    )
    return
  }

  const status = h('div', { 'aria-live': 'assertive' })
  const submit = h('button', { type: 'submit' }, 'Vote')
  const form = h(
    'form',
    { class: 'ballot' },
    h(
      'fieldset',
      {},
      h('legend', {}, 'Choose one option'),
      ...poll.options.map((option, index) =>
        h(
          'label',
          { class: 'choice' },
          h('input', {
            type: 'radio',
            name: 'option',
            value: option.id,
            required: true,
            id: `option-${index}`,
          }),
          ` ${option.label}`,
        ),
      ),
    ),
    submit,
    status,
  )
  form.addEventListener('submit', (event) => {
    event.preventDefault()
    const choice = new FormData(form).get('option')
    if (typeof choice !== 'string') {
      replace(status, notice('Choose an option first.', 'error'))
      return
    }
    submit.disabled = true
    replace(submit, 'Sending your vote…')
    ctx.api
      .read(
        ctx.api.client.api.polls[':pollId'].votes.$post({
          param: { pollId },
          json: { optionId: choice },
          header: { 'idempotency-key': idempotencyKey(pollId, choice) },
        }),
      )
      .then(({ receipt }) => {
        sessionStorage.removeItem(attemptKey(pollId))
        saveReceipt(receipt)
        voteArea.replaceChildren(receiptView(receipt))
        voteArea.querySelector('h2')?.setAttribute('tabindex', '-1')
        ;(voteArea.querySelector('h2') as HTMLElement | null)?.focus()
      })
      .catch((error: unknown) => {
        if (error instanceof ApiError && error.code === 'already_voted') {
          voteArea.replaceChildren(notice(voteMessage(error)))
          return
        }
        submit.disabled = false
        replace(submit, 'Vote')
        replace(status, notice(voteMessage(error), 'error'))
      })
  })
  voteArea.replaceChildren(form)
}

const attemptKey = (pollId: string) => `votelab.vote-attempt.${pollId}`

/**
 * One key per vote: sending the same choice again (after a lost connection or a 503) reuses it,
 * so the API answers with the receipt of a vote that did get through instead of "already voted".
 * A different choice is a different request and gets a new key.
 */
function idempotencyKey(pollId: string, optionId: string): string {
  const saved = JSON.parse(sessionStorage.getItem(attemptKey(pollId)) ?? 'null') as {
    optionId: string
    key: string
  } | null
  if (saved?.optionId === optionId) return saved.key
  const key = crypto.randomUUID()
  sessionStorage.setItem(attemptKey(pollId), JSON.stringify({ optionId, key }))
  return key
}
