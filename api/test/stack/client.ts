import { randomUUID } from 'node:crypto'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { loadLocalIssuer, type LocalIssuer } from '../../src/auth/local-issuer.ts'
import { sseMessages } from '@votelab/testkit/sse'
import type { LocalStack } from '@votelab/testkit/local-stack'

/** A stand-in for web/dist: nginx serves a page, the stack tests never look at it. */
export function fakeWebDist(): string {
  const dir = mkdtempSync(join(tmpdir(), 'votelab-stack-web-'))
  writeFileSync(join(dir, 'index.html'), '<!doctype html><main id="main"></main>')
  return dir
}

/** What a well-behaved client does against the stack: tokens, polls, votes that retry safely. */

const RETRYABLE = [429, 502, 503, 504]

export interface Voter {
  sub: string
  token: string
  key: string
}

export interface Cast {
  voter: Voter
  tracker: string
  attempts: number
  replayed: boolean
  /** Status codes of the failed attempts (0: no response at all). */
  failures: number[]
}

export async function stackClient(stack: LocalStack) {
  const issuer: LocalIssuer = await loadLocalIssuer(`${stack.url}/auth`, stack.dataDir)
  const admin = `Bearer ${await issuer.mintAccessToken({ sub: 'stack-admin', groups: ['admins'] })}`
  const json = { 'content-type': 'application/json' }

  return {
    async openPoll(options = ['Blue', 'Green']): Promise<{ pollId: string; optionIds: string[] }> {
      const created = await fetch(`${stack.url}/api/polls`, {
        method: 'POST',
        headers: { ...json, authorization: admin },
        body: JSON.stringify({ title: 'Under fire', options }),
      })
      if (created.status !== 201)
        throw new Error(`create: ${String(created.status)} ${await created.text()}`)
      const poll = (await created.json()) as { id: string; options: { id: string }[] }
      const opened = await fetch(`${stack.url}/api/polls/${poll.id}/open`, {
        method: 'POST',
        headers: { authorization: admin },
      })
      if (opened.status !== 200) throw new Error(`open: ${String(opened.status)}`)
      return { pollId: poll.id, optionIds: poll.options.map((o) => o.id) }
    },

    /** Closes a poll as admin, which seals its ballot chain. */
    async closePoll(pollId: string): Promise<void> {
      const closed = await fetch(`${stack.url}/api/polls/${pollId}/close`, {
        method: 'POST',
        headers: { authorization: admin },
      })
      if (closed.status !== 200) throw new Error(`close: ${String(closed.status)}`)
    },

    async voters(prefix: string, count: number): Promise<Voter[]> {
      return Promise.all(
        Array.from({ length: count }, async (_, i) => {
          const sub = `${prefix}-${String(i)}`
          return { sub, token: await issuer.mintAccessToken({ sub }), key: randomUUID() }
        }),
      )
    },

    /**
     * Votes until acknowledged: on no answer, 429, 502, 503 or 504 it waits (Retry-After, or a
     * short backoff) and sends the same request with the same Idempotency-Key again.
     */
    async cast(pollId: string, optionId: string, voter: Voter, deadline: number): Promise<Cast> {
      const failures: number[] = []
      for (let attempt = 1; ; attempt += 1) {
        let status = 0
        let retryAfter = 0
        try {
          const response = await fetch(`${stack.url}/api/polls/${pollId}/votes`, {
            method: 'POST',
            headers: {
              ...json,
              authorization: `Bearer ${voter.token}`,
              'idempotency-key': voter.key,
            },
            body: JSON.stringify({ optionId }),
            signal: AbortSignal.timeout(10_000),
          })
          status = response.status
          if (status === 201) {
            const { receipt } = (await response.json()) as { receipt: { tracker: string } }
            const replayed = response.headers.get('idempotent-replayed') === 'true'
            return { voter, tracker: receipt.tracker, attempts: attempt, replayed, failures }
          }
          retryAfter = Number(response.headers.get('retry-after') ?? 0)
          const body = await response.text()
          if (!RETRYABLE.includes(status)) {
            throw new Error(`${voter.sub}: unexpected ${String(status)} ${body}`)
          }
        } catch (error) {
          if (status !== 0 && !RETRYABLE.includes(status)) throw error
        }
        failures.push(status)
        if (Date.now() > deadline) {
          throw new Error(
            `${voter.sub}: no acknowledgement after ${String(attempt)} attempts (${failures.join(' ')})`,
          )
        }
        // As the API asks (Retry-After), else a short growing backoff.
        await new Promise((resolve) =>
          setTimeout(resolve, retryAfter > 0 ? retryAfter * 1000 : Math.min(50 * attempt, 500)),
        )
      }
    },

    /** Runs `cast` for every voter, `concurrency` at a time. */
    async castAll(
      pollId: string,
      optionIds: string[],
      voters: Voter[],
      options: { concurrency: number; deadline: number },
    ): Promise<Cast[]> {
      const results: Cast[] = []
      let next = 0
      const worker = async () => {
        while (next < voters.length) {
          const index = next++
          const voter = voters[index] as Voter
          results.push(
            await this.cast(
              pollId,
              optionIds[index % optionIds.length] as string,
              voter,
              options.deadline,
            ),
          )
        }
      }
      await Promise.all(Array.from({ length: options.concurrency }, worker))
      return results
    },
  }
}

export type StackClient = Awaited<ReturnType<typeof stackClient>>

/** The ballots and participation rows of one poll, straight from the database. */
export async function countedInDatabase(databaseUrl: string, pollId: string) {
  const client = new pg.Client({ connectionString: databaseUrl })
  await client.connect()
  try {
    const ballots = await client.query<{ tracker: string }>(
      'select tracker from ballots where poll_id = $1',
      [pollId],
    )
    const voters = await client.query<{ voter_sub: string }>(
      'select voter_sub from participation where poll_id = $1',
      [pollId],
    )
    return {
      trackers: ballots.rows.map((r) => r.tracker),
      voters: voters.rows.map((r) => r.voter_sub),
    }
  } finally {
    await client.end()
  }
}

/**
 * An EventSource-like watcher: when its stream ends (its replica went away) it reconnects, through
 * nginx, to whichever replica is there.
 */
export function watch(url: string) {
  const controller = new AbortController()
  let latest: { totalVotes: number } | undefined
  let connections = 0
  let closedByServer = 0
  const waiters = new Set<() => void>()
  const run = async () => {
    while (!controller.signal.aborted) {
      try {
        const response = await fetch(url, {
          headers: { accept: 'text/event-stream' },
          signal: controller.signal,
        })
        if (response.status !== 200 || !response.body) throw new Error(String(response.status))
        connections += 1
        for await (const message of sseMessages(response.body)) {
          if (message.data === undefined) continue
          latest = message.data as { totalVotes: number }
          for (const wake of waiters) wake()
        }
        closedByServer += 1
      } catch {
        // aborted, or the replica went away mid-stream: reconnect below
      }
      if (!controller.signal.aborted) await new Promise((resolve) => setTimeout(resolve, 200))
    }
  }
  void run()
  return {
    get connections() {
      return connections
    },
    get closedByServer() {
      return closedByServer
    },
    get totalVotes() {
      return latest?.totalVotes
    },
    /** Resolves once the stream has reported at least `total` votes. */
    async reaches(total: number, timeoutMs: number): Promise<void> {
      const deadline = Date.now() + timeoutMs
      while ((latest?.totalVotes ?? -1) < total) {
        const left = deadline - Date.now()
        if (left <= 0)
          throw new Error(
            `watcher saw ${String(latest?.totalVotes)} votes, expected ${String(total)}`,
          )
        await new Promise<void>((resolve) => {
          const timer = setTimeout(wake, Math.min(left, 200))
          function wake() {
            clearTimeout(timer)
            waiters.delete(wake)
            resolve()
          }
          waiters.add(wake)
        })
      }
    },
    close: () => controller.abort(),
  }
}
