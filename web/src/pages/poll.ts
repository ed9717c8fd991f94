import { ApiError, type Poll } from '../api.ts'
import type { AppContext } from '../app-context.ts'
import { h, notice, replace } from '../dom.ts'
import { receiptView } from '../receipt-view.ts'
import { savedReceipt, saveReceipt } from '../receipts.ts'
import { followResults, resultsView } from '../results.ts'
import { counted } from '../words.ts'
import { isUuid, notFoundPage } from './not-found.ts'

function voteMessage(error: unknown): string {
  if (!(error instanceof ApiError)) return 'Something went wrong. Try again.'
  switch (error.code) {
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
      return `Only the ${counted(eligibility.voters, 'person', 'people')} on this poll’s voter list may vote.`
    default:
      return undefined
  }
}

export async function pollPage(main: HTMLElement, ctx: AppContext, pollId: string): Promise<void> {
  if (!isUuid(pollId)) {
    notFoundPage(main, 'poll')
    return
  }
  main.replaceChildren(notice('Loading the poll…'))
  let poll: Poll
  let initialResults
  try {
    ;[poll, initialResults] = await Promise.all([
      ctx.api.read(ctx.api.client.api.polls[':pollId'].$get({ param: { pollId } })),
      ctx.api.read(ctx.api.client.api.polls[':pollId'].results.$get({ param: { pollId } })),
    ])
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) notFoundPage(main, 'poll')
    else main.replaceChildren(h('h1', {}, 'Poll'), notice(voteMessage(error), 'error'))
    return
  }

  const results = resultsView(initialResults)
  let chain = initialResults.chain
  const connection = h(
    'p',
    { class: 'connection', 'data-state': 'connecting' },
    'Connecting to live results…',
  )
  // Read out when it changes: a voter on this page hears that the poll has just closed.
  const statusLine = h('p', { 'aria-live': 'polite', 'data-testid': 'poll-status' })
  const showStatus = () => {
    statusLine.className = `status ${poll.status}`
    replace(statusLine, STATUS_WORDS[poll.status])
  }
  showStatus()
  const voteArea = h('div', { class: 'vote-area' })
  replace(
    main,
    h('p', {}, h('a', { href: '/', 'data-link': true }, '← All polls')),
    h('h1', {}, poll.title),
    poll.description ? h('p', { class: 'lead' }, poll.description) : null,
    statusLine,
    eligibilityLine(poll.eligibility)
      ? h('p', { class: 'meta', 'data-testid': 'eligibility' }, eligibilityLine(poll.eligibility))
      : null,
    voteArea,
    h('h2', {}, 'Results'),
    connection,
    results.element,
  )

  /** The poll moved on (an admin closed or opened it): the page follows (issue 18, bug 2). */
  const follow = (status: Poll['status'], problem?: string) => {
    if (status === poll.status) return
    poll = { ...poll, status }
    showStatus()
    renderVoteArea(problem)
  }

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
      chain = next.chain ?? chain
      results.update(next)
      showConnection()
      follow(next.status)
    },
    (next) => {
      state = next
      showConnection()
    },
  )
  ctx.onLeave(stop)

  function renderVoteArea(problem?: string) {
    const problemNotice = problem ? notice(problem, 'error') : null
    const receipt = savedReceipt(pollId)
    if (receipt) {
      replace(
        voteArea,
        problemNotice,
        receiptView(receipt, poll, () => chain),
      )
      return
    }
    if (poll.status === 'closed') {
      replace(
        voteArea,
        problemNotice,
        poll.hasVoted ? notice(ALREADY_VOTED) : null,
        h(
          'p',
          {},
          h('a', { href: `/polls/${pollId}/check`, 'data-link': true }, 'Check my ballot'),
          poll.publishBallots
            ? ' — find your receipt on the published board and verify the count.'
            : ' — this poll keeps its ballots private; its chain head is published with the results.',
        ),
      )
      return
    }
    if (poll.hasVoted) {
      replace(voteArea, notice(ALREADY_VOTED))
      return
    }
    if (poll.status !== 'open') {
      replace(voteArea, problemNotice)
      return
    }
    if (poll.eligible === false) {
      replace(voteArea, notice(notEligibleMessage(poll.eligibility)))
      return
    }
    if (!ctx.me) {
      replace(
        voteArea,
        h('p', {}, 'Sign in to vote. '),
        h('button', { type: 'button', onclick: () => void ctx.auth.signIn() }, 'Sign in to vote'),
      )
      return
    }
    replace(voteArea, ballotForm())
  }

  function ballotForm() {
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
          renderVoteArea()
          const heading = voteArea.querySelector('h2')
          heading?.setAttribute('tabindex', '-1')
          heading?.focus()
        })
        .catch((error: unknown) => {
          if (error instanceof ApiError && error.code === 'already_voted') {
            poll = { ...poll, hasVoted: true }
            renderVoteArea()
            return
          }
          // Closed before the vote arrived, and the stream had not said so yet.
          if (error instanceof ApiError && error.code === 'poll_not_open') {
            follow('closed', voteMessage(error))
            return
          }
          submit.disabled = false
          replace(submit, 'Vote')
          replace(status, notice(voteMessage(error), 'error'))
        })
    })
    return form
  }

  renderVoteArea()
}

const STATUS_WORDS: Record<Poll['status'], string> = {
  draft: 'Draft',
  open: 'Open for voting',
  closed: 'Closed',
}

// Where the receipt went: it is never shown again by the server (issue 18, item 7).
const ALREADY_VOTED =
  'You have already voted in this poll. Your receipt was shown once, in the tab you voted from; if you downloaded it, the file holds your tracker, and a device set to remember receipts shows it here.'

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
