import { openSse } from '@votelab/testkit/sse'

export interface LiveVoteCheck {
  pollId: string
  before: number
  after: number
  /** From the vote's acknowledgement to the stream's event counting it. */
  deliveredMs: number
}

interface PollSummary {
  id: string
  status: string
  eligibility: { kind: string }
  options: { id: string }[]
}

/**
 * A voter's path end to end: watch an open poll's live results through one address, vote
 * through another, and see the stream count the vote. Two addresses, two replicas: the vote
 * reaches the watcher's replica only through Postgres's LISTEN/NOTIFY.
 */
export async function voteAndWatch(options: {
  watchUrl: string
  voteUrl: string
  token: string
  timeoutMs?: number
}): Promise<LiveVoteCheck> {
  const timeoutMs = options.timeoutMs ?? 10_000
  const listing = (await (await fetch(`${options.voteUrl}/api/polls`)).json()) as {
    polls: PollSummary[]
  }
  const poll = listing.polls.find((p) => p.status === 'open' && p.eligibility.kind === 'anyone')
  if (!poll) throw new Error('no open poll that anyone may vote in (did the seed job run?)')
  const stream = await openSse(`${options.watchUrl}/api/polls/${poll.id}/results/stream`)
  try {
    const { totalVotes: before } = await stream.next<{ totalVotes: number }>(
      'results',
      () => true,
      timeoutMs,
    )
    const vote = await fetch(`${options.voteUrl}/api/polls/${poll.id}/votes`, {
      method: 'POST',
      headers: { authorization: `Bearer ${options.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ optionId: poll.options[0]?.id }),
    })
    if (vote.status !== 201) throw new Error(`vote: ${String(vote.status)} ${await vote.text()}`)
    const acknowledged = performance.now()
    const { totalVotes: after } = await stream.next<{ totalVotes: number }>(
      'results',
      (results) => results.totalVotes > before,
      timeoutMs,
    )
    return {
      pollId: poll.id,
      before,
      after,
      deliveredMs: Math.round(performance.now() - acknowledged),
    }
  } finally {
    stream.close()
  }
}
