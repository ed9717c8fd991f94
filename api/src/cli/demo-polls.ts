import { randomBytes } from 'node:crypto'
import { sealPoll } from '../ballots/seal.ts'
import type { Db } from '../db/database.ts'

/** Fixed ids, so seeding twice finds its own polls and adds nothing. */
export const DEMO_POLL_IDS = {
  open: '00000000-0000-4000-8000-000000000001',
  closed: '00000000-0000-4000-8000-000000000002',
  draft: '00000000-0000-4000-8000-000000000003',
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
