import { randomBytes } from 'node:crypto'
import { sealPoll } from '../ballots/seal.ts'
import type { Db } from '../db/database.ts'

/** Fixed ids, so seeding twice finds its own polls and adds nothing. */
export const DEMO_POLL_IDS = {
  open: '00000000-0000-4000-8000-000000000001',
  closed: '00000000-0000-4000-8000-000000000002',
  draft: '00000000-0000-4000-8000-000000000003',
  /** Open to a voter list that has the development voter on it… */
  rollWithVoter: '00000000-0000-4000-8000-000000000004',
  /** …and to one that has not: the page says why the voter cannot vote. */
  rollWithoutVoter: '00000000-0000-4000-8000-000000000005',
} as const

/** Demo option ids are fixed too, so the examples in docs/http-api.md work on every laptop. */
export const demoOptionId = (pollId: string, position: number) =>
  `00000000-0000-4000-800${pollId.slice(-1)}-${String(position + 1).padStart(12, '0')}`

interface DemoPoll {
  id: string
  title: string
  description: string
  status: 'draft' | 'open' | 'closed'
  options: string[]
  /** Votes per option, cast by made-up voters (closed poll only). */
  votes?: number[]
  /** Only these mailboxes may vote (a voter roll). */
  roll?: string[]
}

const DEMO_POLLS: DemoPoll[] = [
  {
    id: DEMO_POLL_IDS.open,
    title: 'Which deployment strategy should the lab practise next?',
    description: 'Open now: sign in, vote once, and watch the bars move.',
    status: 'open',
    options: ['Blue/green', 'Canary', 'Rolling update', 'Feature flags'],
  },
  {
    id: DEMO_POLL_IDS.closed,
    title: 'Best first AWS service to learn',
    description: 'Closed: the final results are in.',
    status: 'closed',
    options: ['ECS Fargate', 'RDS', 'CloudFront', 'Cognito'],
    votes: [12, 7, 4, 9],
  },
  {
    id: DEMO_POLL_IDS.draft,
    title: 'Name of the next workshop',
    description: 'A draft: only admins can see it until it is opened.',
    status: 'draft',
    options: ['Pipelines from scratch', 'Zero-downtime Postgres', 'Observability 101'],
  },
  {
    id: DEMO_POLL_IDS.rollWithVoter,
    title: 'Lab steering group: next quarter’s focus',
    description: 'Open to the people on its voter list; voter@votelab.local is one of them.',
    status: 'open',
    options: ['Security', 'Cost', 'Reliability'],
    roll: ['voter@votelab.local', 'admin@votelab.local', 'ada@example.org', 'grace@example.org'],
  },
  {
    id: DEMO_POLL_IDS.rollWithoutVoter,
    title: 'Maintainers only: release cadence',
    description: 'Open to its voter list, which does not have voter@votelab.local on it.',
    status: 'open',
    options: ['Every week', 'Every month'],
    roll: ['admin@votelab.local', 'maintainer@example.org'],
  },
]

/** Inserts the demo polls that are missing; returns the titles it added. */
export async function seedDemoPolls(db: Db): Promise<string[]> {
  return db.transaction().execute(async (trx) => {
    const added: string[] = []
    for (const poll of DEMO_POLLS) {
      const inserted = await trx
        .insertInto('polls')
        .values({
          id: poll.id,
          title: poll.title,
          description: poll.description,
          status: poll.status,
          eligibility: poll.roll ? 'roll' : 'anyone',
          created_by: 'seed',
        })
        .onConflict((oc) => oc.column('id').doNothing())
        .returning('id')
        .executeTakeFirst()
      if (!inserted) continue
      added.push(poll.title)
      const options = await trx
        .insertInto('poll_options')
        .values(
          poll.options.map((label, position) => ({
            id: demoOptionId(poll.id, position),
            poll_id: poll.id,
            label,
            position,
          })),
        )
        .returning(['id', 'position'])
        .execute()
      if (poll.roll) {
        await trx
          .insertInto('poll_roll')
          .values(poll.roll.map((mailbox) => ({ poll_id: poll.id, mailbox })))
          .execute()
      }
      const ballots = options.flatMap((option) =>
        Array.from({ length: poll.votes?.[option.position] ?? 0 }, () => option.id),
      )
      if (ballots.length === 0) continue
      await trx
        .insertInto('participation')
        .values(
          ballots.map((_, index) => ({ poll_id: poll.id, voter_sub: `seed-voter-${index + 1}` })),
        )
        .execute()
      await trx
        .insertInto('ballots')
        .values(
          ballots.map((optionId) => ({
            poll_id: poll.id,
            option_id: optionId,
            tracker: randomBytes(16).toString('hex'),
          })),
        )
        .execute()
      // A closed poll always has its ballot chain (ballots/seal.ts).
      if (poll.status === 'closed') await sealPoll(trx, poll.id)
    }
    return added
  })
}
