import { RateLimiter, type Limit } from '../../http/rate-limit.ts'

export interface SignInLimits {
  /** Failed sign-ins per (account, client address): past it, that address is refused (429) for that account. */
  perAccountAddress: Limit
  /** Sign-in and sign-up attempts per client address, whatever the account. */
  perAddress: Limit
  /**
   * Failed sign-ins per account from any address, past which every attempt on the account waits
   * before its password is checked: `baseMs`, doubling with each further failure, at most `maxMs`.
   */
  accountBackoff: { after: number; windowMs: number; baseMs: number; maxMs: number }
}

export const DEFAULT_SIGN_IN_LIMITS: SignInLimits = {
  perAccountAddress: { max: 5, windowMs: 15 * 60_000 },
  perAddress: { max: 30, windowMs: 5 * 60_000 },
  accountBackoff: { after: 5, windowMs: 15 * 60_000, baseMs: 250, maxMs: 5_000 },
}

export type Verdict =
  { kind: 'refuse'; retryAfterSeconds: number } | { kind: 'go'; delayMs: number }

/**
 * Who may try a password, and how soon. A hard lock per account would let anyone lock anyone out
 * with a few wrong passwords; here an address that keeps failing is refused for that account, and
 * the account itself only slows down (backoff), so its owner — from an address that has not
 * failed — still gets in while the attacker's addresses stay throttled. Unknown and known emails
 * are treated alike, so the throttle tells nobody which accounts exist. In memory, per process.
 */
export class SignInThrottle {
  private readonly pairFailures: RateLimiter
  private readonly addressAttempts: RateLimiter
  private readonly accountFailures: RateLimiter
  private readonly backoff: SignInLimits['accountBackoff']

  constructor(limits: SignInLimits = DEFAULT_SIGN_IN_LIMITS) {
    this.pairFailures = new RateLimiter(limits.perAccountAddress)
    this.addressAttempts = new RateLimiter(limits.perAddress)
    // Counted, never refused: the limit only bounds the window.
    this.accountFailures = new RateLimiter({
      max: Number.MAX_SAFE_INTEGER,
      windowMs: limits.accountBackoff.windowMs,
    })
    this.backoff = limits.accountBackoff
  }

  /** Whether a sign-in for `account` (a normalised email) from `address` may go ahead. Counts the attempt. */
  signIn(account: string | undefined, address: string): Verdict {
    const pairWait = account ? this.pairFailures.retryAfter(pair(account, address)) : 0
    const verdict = this.attempt(address, pairWait)
    if (verdict.kind === 'refuse' || !account) return verdict
    const excess = this.accountFailures.count(account) - this.backoff.after
    const delayMs = excess < 0 ? 0 : Math.min(this.backoff.baseMs * 2 ** excess, this.backoff.maxMs)
    return { kind: 'go', delayMs }
  }

  /** A sign-up attempt: only the per-address limit applies. Counts the attempt. */
  signUp(address: string): Verdict {
    return this.attempt(address, 0)
  }

  /** Refuses past the per-address limit (or `otherWait`), else counts the attempt. */
  private attempt(address: string, otherWait: number): Verdict {
    const wait = Math.max(this.addressAttempts.retryAfter(address), otherWait)
    if (wait > 0) return { kind: 'refuse', retryAfterSeconds: wait }
    this.addressAttempts.hit(address)
    return { kind: 'go', delayMs: 0 }
  }

  failed(account: string, address: string): void {
    this.pairFailures.hit(pair(account, address))
    this.accountFailures.hit(account)
  }

  succeeded(account: string, address: string): void {
    // The account keeps its failure count: an attack in progress keeps being slowed down.
    this.pairFailures.reset(pair(account, address))
  }
}

const pair = (account: string, address: string) => `${account}\n${address}`
