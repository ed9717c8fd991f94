import type { Migration } from 'kysely/migration'
import * as initialSchema from './2026-11-22T0500-initial-schema.ts'
import * as localSignIn from './2026-11-22T0600-local-sign-in.ts'
import * as voteIdempotency from './2026-11-22T0700-vote-idempotency.ts'
import * as ballotChain from './2026-11-22T0800-ballot-chain.ts'
import * as pollsByCreator from './2026-11-30T0900-polls-by-creator.ts'
import * as resultsVisibility from './2026-11-30T1000-results-visibility.ts'
import * as pollEligibility from './2026-11-30T1100-poll-eligibility.ts'
import * as voterRolls from './2026-11-30T2300-voter-rolls.ts'
import * as verifiedEmail from './2026-11-30T2310-verified-email.ts'
import * as emailCodes from './2026-11-30T2320-email-codes.ts'
import * as eligibleAtClose from './2026-11-30T2330-eligible-at-close.ts'
import * as localIssuerSecrets from './2026-12-01T0500-local-issuer-secrets.ts'

/** Every migration, in order. Listed by hand so bundling or a stray file can never reorder them. */
export const migrations: Record<string, Migration> = {
  '2026-11-22T0500-initial-schema': initialSchema,
  '2026-11-22T0600-local-sign-in': localSignIn,
  '2026-11-22T0700-vote-idempotency': voteIdempotency,
  '2026-11-22T0800-ballot-chain': ballotChain,
  '2026-11-30T0900-polls-by-creator': pollsByCreator,
  '2026-11-30T1000-results-visibility': resultsVisibility,
  '2026-11-30T1100-poll-eligibility': pollEligibility,
  '2026-11-30T2300-voter-rolls': voterRolls,
  '2026-11-30T2310-verified-email': verifiedEmail,
  '2026-11-30T2320-email-codes': emailCodes,
  '2026-11-30T2330-eligible-at-close': eligibleAtClose,
  '2026-12-01T0500-local-issuer-secrets': localIssuerSecrets,
}
