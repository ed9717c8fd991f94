import type { EligibilityKind } from '../db/database.ts'
import { ApiError } from '../http/errors.ts'
import { IdentityUnavailableError, type VerifiedMailbox } from './verified-email.ts'
import type { Principal } from './verify.ts'

/** The caller's verified mailbox for a roll check; a 503 when the identity provider can't say. */
export async function mailboxForRoll(
  verifiedMailbox: VerifiedMailbox,
  principal: Principal,
  accessToken: string | undefined,
): Promise<string | undefined> {
  if (!accessToken) return undefined
  try {
    return await verifiedMailbox(principal, accessToken)
  } catch (error) {
    if (!(error instanceof IdentityUnavailableError)) throw error
    throw new ApiError(
      503,
      'identity_unavailable',
      'Could not confirm your email address with the sign-in service; nothing was counted, retry',
      { headers: { 'Retry-After': '5' } },
    )
  }
}

/** Why a voter may not vote, in the words the page shows. */
export function notEligible(kind: EligibilityKind | undefined, mailbox?: string): ApiError {
  const message =
    kind === 'roll'
      ? mailbox
        ? 'You are not on this poll’s voter list'
        : 'This poll has a voter list: confirm your account’s email address to vote'
      : kind === 'group'
        ? 'This poll is for the members of one group, and you are not in it'
        : 'You are not eligible to vote in this poll'
  return new ApiError(403, 'not_eligible', message)
}
