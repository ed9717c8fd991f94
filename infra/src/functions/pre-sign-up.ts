// Cognito's pre-sign-up trigger for `votelab:signUp domains`: only addresses at the listed domains
// may sign up themselves (admins may still create anyone). Self-contained — no imports — because
// the program ships this very file, its types stripped, as the function's code (sign-in.ts).

/** The part of Cognito's pre-sign-up event this reads. */
export interface PreSignUpEvent {
  triggerSource: string
  request: { userAttributes: Record<string, string | undefined> }
  response: Record<string, unknown>
}

/** Whether the address ends in exactly one of the domains (no subdomains, no look-alikes). */
export function isAllowedAddress(email: string | undefined, domains: readonly string[]): boolean {
  if (!email) return false
  const at = email.lastIndexOf('@')
  if (at < 1) return false
  return domains.includes(
    email
      .slice(at + 1)
      .trim()
      .toLowerCase(),
  )
}

/** The domains from the function's environment: `example.org,example.com`. */
export function domainsFrom(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((domain) => domain.trim().toLowerCase())
    .filter(Boolean)
}

/**
 * Throwing refuses the sign-up: Cognito shows the message on its hosted page. Returning the event
 * unchanged lets it through, still unconfirmed: Cognito mails the code as usual.
 */
export function handler(event: PreSignUpEvent): Promise<PreSignUpEvent> {
  if (event.triggerSource === 'PreSignUp_AdminCreateUser') return Promise.resolve(event)
  const domains = domainsFrom(process.env.ALLOWED_DOMAINS)
  if (!isAllowedAddress(event.request.userAttributes.email, domains)) {
    return Promise.reject(new Error(`Accounts are for addresses at ${domains.join(', ')} only.`))
  }
  return Promise.resolve(event)
}
