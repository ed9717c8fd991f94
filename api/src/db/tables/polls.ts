import type { ColumnType, Generated } from 'kysely'

export type PollStatus = 'draft' | 'open' | 'closed'

/** `after_close`: while the poll is open its results show turnout only, not the tally. */
export type ResultsVisibility = 'live' | 'after_close'

/** Who may vote: any account, the members of `eligible_group`, or the mailboxes on the poll's roll. */
export type EligibilityKind = 'anyone' | 'group' | 'roll'

export interface PollsTable {
  id: Generated<string>
  title: string
  description: string
  status: ColumnType<PollStatus, PollStatus | undefined, PollStatus>
  opens_at: Date | null
  closes_at: Date | null
  /** Whether the sealed ballots go on the public board (see docs/verifiable-ballots.md for the trade-off). */
  publish_ballots: Generated<boolean>
  eligibility: ColumnType<EligibilityKind, EligibilityKind | undefined, never>
  /** With `group` eligibility: the identity-provider group whose members may vote. */
  eligible_group: ColumnType<string | null, string | null | undefined, string | null>
  results_visibility: ColumnType<
    ResultsVisibility,
    ResultsVisibility | undefined,
    ResultsVisibility
  >
  /** A group poll's member count when it closed, where the identity provider could say. */
  eligible_at_close: ColumnType<number | null, number | null | undefined, number | null>
  created_by: string
  created_at: Generated<Date>
  updated_at: Generated<Date>
}
