import { z } from '@hono/zod-openapi'
import { ChainSchema } from '../ballots/schemas.ts'
import { PollStatusSchema } from '../polls/schemas.ts'

export const ResultsSchema = z
  .object({
    pollId: z.uuid(),
    status: PollStatusSchema,
    totalVotes: z.number().int(),
    options: z.array(z.object({ optionId: z.uuid(), label: z.string(), votes: z.number().int() })),
    asOf: z.iso.datetime(),
    chain: ChainSchema.nullable().openapi({
      description: 'Once the poll is closed: the sealed ballot chain this tally is committed to.',
    }),
  })
  .openapi('Results')

export type Results = z.infer<typeof ResultsSchema>
