import { hc, type ClientResponse, type InferResponseType } from 'hono/client'
import type { App } from '@votelab/api/app'
import type { Auth } from './auth.ts'

// The request and response shapes come from the API's own routes (Hono's typed client), so the
// page and the API cannot drift apart silently.
const typedClient = (baseUrl: string, fetchImpl: typeof fetch) =>
  hc<App>(baseUrl, { fetch: fetchImpl })
type Client = ReturnType<typeof typedClient>

export type Poll = InferResponseType<Client['api']['polls'][':pollId']['$get'], 200>
export type PollSummary = InferResponseType<Client['api']['polls']['$get'], 200>['polls'][number]
export type Results = InferResponseType<Client['api']['polls'][':pollId']['results']['$get'], 200>
export type Receipt = InferResponseType<
  Client['api']['polls'][':pollId']['votes']['$post'],
  201
>['receipt']
export type Me = InferResponseType<Client['api']['me']['$get'], 200>
/** A page of a closed poll's bulletin board (the route also streams NDJSON and CSV exports). */
export type BoardPage = Extract<
  InferResponseType<Client['api']['polls'][':pollId']['ballots']['$get'], 200>,
  { ballots: unknown }
>

/** An API error in the project's shape, or a network failure (`status` 0). */
export class ApiError extends Error {
  readonly status: number
  readonly code: string
  constructor(status: number, code: string, message: string) {
    super(message)
    this.status = status
    this.code = code
  }
}

/** The body type of a route's 2xx responses. */
type Success<R> =
  R extends ClientResponse<infer Body, infer Status, 'json'>
    ? Status extends 200 | 201
      ? Body
      : never
    : never

export interface Api {
  client: Client
  /** Unwraps a response: the JSON body on success, an ApiError otherwise. */
  read<R extends ClientResponse<unknown>>(request: Promise<R>): Promise<Success<R>>
  streamUrl(pollId: string): string
  /** Replaces a draft's voter roll with a CSV file or a pasted list (one address per line). */
  uploadRoll(pollId: string, csv: string): Promise<{ voters: number; entries: number }>
  /** Mails an invitation to make an account (admins; the local provider only). */
  invite(email: string): Promise<{ email: string }>
}

export function createApi(origin: string, auth: Auth, onUnauthorized: () => void): Api {
  const authedFetch: typeof fetch = async (input, init) => {
    const token = await auth.accessToken()
    const headers = new Headers(init?.headers)
    if (token) headers.set('authorization', `Bearer ${token}`)
    try {
      return await fetch(input, { ...init, headers })
    } catch {
      throw new ApiError(0, 'network', 'Cannot reach votelab. Check your connection and try again.')
    }
  }
  const base = origin.replace(/\/api\/?$/, '') || location.origin
  const apiOrigin = base.startsWith('http') ? base : location.origin
  const client = typedClient(apiOrigin, authedFetch)
  async function read(response: Response): Promise<unknown> {
    if (response.ok) return response.json()
    const body = (await response.json().catch(() => ({}))) as {
      error?: { code?: string; message?: string; details?: { path: string; message: string }[] }
    }
    if (response.status === 401) onUnauthorized()
    // A refused file names its first wrong records: the admin fixes them all in one go.
    const details = body.error?.details?.map((detail) => `${detail.path}: ${detail.message}`) ?? []
    throw new ApiError(
      response.status,
      body.error?.code ?? `http_${response.status}`,
      [body.error?.message ?? response.statusText, ...details.slice(0, 5)].join(' — '),
    )
  }
  return {
    client,
    async read<R extends ClientResponse<unknown>>(request: Promise<R>): Promise<Success<R>> {
      return (await read(await request)) as Success<R>
    },
    async uploadRoll(pollId, csv) {
      const response = await authedFetch(
        `${apiOrigin}/api/polls/${encodeURIComponent(pollId)}/roll`,
        { method: 'PUT', headers: { 'content-type': 'text/csv' }, body: csv },
      )
      return (await read(response)) as { voters: number; entries: number }
    },
    async invite(email) {
      const response = await authedFetch(`${apiOrigin}/api/invitations`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email }),
      })
      return (await read(response)) as { email: string }
    },
    streamUrl: (pollId) =>
      `${base.startsWith('http') ? base : ''}/api/polls/${encodeURIComponent(pollId)}/results/stream?frames=counts`,
  }
}
