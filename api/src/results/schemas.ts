import { z } from '@hono/zod-openapi'
import { ChainSchema } from '../ballots/schemas.ts'
import { PollStatusSchema, ResultsVisibilitySchema } from '../polls/schemas.ts'

export const ResultsSchema = z
  .object({
    pollId: z.uuid(),
    status: PollStatusSchema,
    resultsVisibility: ResultsVisibilitySchema,
    totalVotes: z.number().int().openapi({ description: 'Ballots cast: the turnout.' }),
    options: z.array(
      z.object({
        optionId: z.uuid(),
        label: z.string(),
        votes: z.number().int().nullable().openapi({
          description: 'Null while an `after_close` poll is open: only the turnout is shown.',
        }),
      }),
    ),
    turnout: z
      .object({
        ballots: z.number().int(),
        eligible: z
          .number()
          .int()
          .nullable()
          .openapi({
            description:
              'Who may vote: a roll’s size, or a group’s at the close (counted by the local ' +
              'provider; not by Cognito). Null for polls open to anyone, or where nobody counted.',
          }),
      })
      .openapi({ description: 'Ballots cast against the number of eligible voters.' }),
    asOf: z.iso.datetime(),
    chain: ChainSchema.nullable().openapi({
      description: 'Once the poll is closed: the sealed ballot chain this tally is committed to.',
    }),
  })
  .openapi('Results')

export type Results = z.infer<typeof ResultsSchema>

/**
 * A `counts` event (`?frames=counts`): the numbers of the stream's last `results` event, `votes`
 * in the order of its options.
 */
export interface ResultsCounts {
  totalVotes: Results['totalVotes']
  votes: Results['options'][number]['votes'][]
  ballots: Results['turnout']['ballots']
  asOf: Results['asOf']
}
