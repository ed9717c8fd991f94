/**
 * Who has voted in which poll: the only table that holds a voter's identity.
 * It says nothing about how they voted and carries no time, so it cannot be joined to a ballot.
 */
export interface ParticipationTable {
  poll_id: string
  voter_sub: string
}
