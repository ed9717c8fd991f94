import type { Kysely, Transaction } from 'kysely'
import type { BallotsTable } from './tables/ballots.ts'
import type {
  DevMailTable,
  EmailCodesTable,
  LocalIssuerSecretsTable,
  LocalUsersTable,
} from './tables/local-users.ts'
import type { OidcRecordsTable } from './tables/oidc-records.ts'
import type { ParticipationTable } from './tables/participation.ts'
import type { PollOptionsTable } from './tables/poll-options.ts'
import type { PollRollTable } from './tables/poll-roll.ts'
import type { PollSealsTable } from './tables/poll-seals.ts'
import type { PollsTable } from './tables/polls.ts'

export type { EligibilityKind, PollStatus, ResultsVisibility } from './tables/polls.ts'

export interface Database {
  polls: PollsTable
  poll_options: PollOptionsTable
  poll_roll: PollRollTable
  participation: ParticipationTable
  ballots: BallotsTable
  poll_seals: PollSealsTable
  local_users: LocalUsersTable
  email_codes: EmailCodesTable
  dev_mail: DevMailTable
  local_issuer_secrets: LocalIssuerSecretsTable
  oidc_records: OidcRecordsTable
}

export type Db = Kysely<Database>
/** Anything queries can run on: the pool itself or an open transaction. */
export type Queryable = Kysely<Database> | Transaction<Database>
