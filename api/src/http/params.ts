import { z } from '@hono/zod-openapi'

/** The `{pollId}` every poll-scoped route (polls, votes, results, ballots) takes. */
export const PollIdParams = z.object({
  pollId: z.uuid({ error: 'must be a UUID' }).openapi({
    param: { name: 'pollId', in: 'path' },
    example: '00000000-0000-4000-8000-000000000001',
  }),
})
