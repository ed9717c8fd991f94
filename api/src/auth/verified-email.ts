import { mailboxOf } from './mailbox.ts'
import type { Principal } from './verify.ts'

/** What an issuer says about an account's email (OpenID Connect userInfo claims). */
export interface EmailClaims {
  sub: string
  email?: unknown
  /** A boolean from most issuers; Cognito's userInfo sends the string "true". */
  email_verified?: unknown
}

/** Asks the issuer who the token's owner is; throws IdentityUnavailableError when it can't say. */
export type UserInfoLookup = (principal: Principal, accessToken: string) => Promise<EmailClaims>

export class IdentityUnavailableError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'IdentityUnavailableError'
  }
}

/**
 * The issuer's userInfo endpoint, called with the voter's own access token: Cognito's access
 * tokens carry no email, and asking with the voter's token needs no credentials of the API's.
 */
export function userInfoEndpoint(
  url: string,
  { timeoutMs = 3_000, fetch: fetchImpl = fetch } = {},
): UserInfoLookup {
  return async (_principal, accessToken) => {
    let response: Response
    try {
      response = await fetchImpl(url, {
        headers: { authorization: `Bearer ${accessToken}`, accept: 'application/json' },
        signal: AbortSignal.timeout(timeoutMs),
      })
    } catch (error) {
      throw new IdentityUnavailableError('the identity provider did not answer', { cause: error })
    }
    if (!response.ok) {
      await response.body?.cancel()
      throw new IdentityUnavailableError(`the identity provider answered ${response.status}`)
    }
    const claims: unknown = await response.json().catch(() => undefined)
    if (typeof claims !== 'object' || claims === null || !('sub' in claims)) {
      throw new IdentityUnavailableError('the identity provider sent no claims')
    }
    return claims as EmailClaims
  }
}

export interface VerifiedMailboxOptions {
  lookup: UserInfoLookup
  /** How long an answer is reused. An address rarely changes; a new verification shows after this. */
  ttlMs?: number
  /** Unverified answers are rechecked sooner: the voter may be confirming their address right now. */
  unverifiedTtlMs?: number
  /** Most voters remembered; the oldest answer goes first. */
  maxEntries?: number
}

/** The voter's verified mailbox (auth/mailbox.ts), or undefined when the issuer has none verified. */
export type VerifiedMailbox = (
  principal: Principal,
  accessToken: string,
) => Promise<string | undefined>

/**
 * Learns a voter's verified mailbox from the issuer once, then remembers it per `sub`: a roll poll's
 * votes cost one userInfo call per voter per `ttlMs`, not one per request. Concurrent first calls
 * for one voter share one lookup.
 */
export function verifiedMailboxes({
  lookup,
  ttlMs = 10 * 60_000,
  unverifiedTtlMs = 15_000,
  maxEntries = 200_000,
}: VerifiedMailboxOptions): VerifiedMailbox & { readonly size: () => number } {
  const known = new Map<string, { mailbox: string | undefined; expiresAt: number }>()
  const pending = new Map<string, Promise<string | undefined>>()

  async function ask(principal: Principal, accessToken: string) {
    const claims = await lookup(principal, accessToken)
    // The answer is about the token's owner; anything else is a broken or hostile issuer.
    if (claims.sub !== principal.sub) {
      throw new IdentityUnavailableError('the identity provider answered for another account')
    }
    const verified = claims.email_verified === true || claims.email_verified === 'true'
    const mailbox =
      verified && typeof claims.email === 'string' ? mailboxOf(claims.email) : undefined
    if (known.size >= maxEntries) known.delete(known.keys().next().value as string)
    known.set(principal.sub, {
      mailbox,
      expiresAt: performance.now() + (mailbox ? ttlMs : unverifiedTtlMs),
    })
    return mailbox
  }

  const resolve = async (principal: Principal, accessToken: string) => {
    const cached = known.get(principal.sub)
    if (cached && cached.expiresAt > performance.now()) return cached.mailbox
    known.delete(principal.sub)
    let inFlight = pending.get(principal.sub)
    if (!inFlight) {
      inFlight = ask(principal, accessToken).finally(() => pending.delete(principal.sub))
      pending.set(principal.sub, inFlight)
    }
    return inFlight
  }
  return Object.assign(resolve, { size: () => known.size })
}
