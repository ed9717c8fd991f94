import { z } from '@hono/zod-openapi'
import { CHAIN_FORMAT } from '../ballots/chain.ts'
import { instant, queryInt, text } from '../http/fields.ts'
import { IDEMPOTENCY_KEY_PATTERN } from '../votes/idempotency.ts'

// One set of schemas validates requests, types the handlers and generates the OpenAPI document.

export const ErrorSchema = z
  .object({
    error: z.object({
      code: z.string().openapi({ example: 'already_voted' }),
      message: z.string(),
      details: z.unknown().optional(),
    }),
  })
  .openapi('Error')

export const PollStatusSchema = z.enum(['draft', 'open', 'closed']).openapi('PollStatus')

export const PollIdParams = z.object({
  pollId: z.uuid({ error: 'must be a UUID' }).openapi({
    param: { name: 'pollId', in: 'path' },
    example: '00000000-0000-4000-8000-000000000001',
  }),
})

export const MAX_POLLS_PAGE = 100

export const ListPollsQuery = z.object({
  status: PollStatusSchema.optional().openapi({
    param: { name: 'status', in: 'query' },
    description: 'Only polls in this state; `draft` is for admins only.',
  }),
  limit: queryInt({ min: 1, max: MAX_POLLS_PAGE, fallback: 20 }).openapi({
    param: { name: 'limit', in: 'query' },
    description: `Polls per page (1–${String(MAX_POLLS_PAGE)})`,
  }),
  after: z
    .uuid({ error: 'must be the id of a poll (the cursor from `next`)' })
    .optional()
    .openapi({
      param: { name: 'after', in: 'query' },
      description:
        'Polls after this one, in the list’s order: follow `next` instead of building it.',
    }),
})

export const OptionSchema = z.object({ id: z.uuid(), label: z.string() }).openapi('PollOption')

export const PollSchema = z
  .object({
    id: z.uuid(),
    title: z.string(),
    description: z.string(),
    status: PollStatusSchema,
    opensAt: z.iso.datetime().nullable(),
    closesAt: z.iso.datetime().nullable(),
    options: z.array(OptionSchema),
    totalVotes: z.number().int(),
    publishBallots: z.boolean().openapi({
      description: 'Whether the ballots go on the public board once the poll closes.',
    }),
  })
  .openapi('Poll')

export const PollDetailSchema = PollSchema.extend({
  hasVoted: z.boolean().optional().openapi({ description: 'Present when a token was sent.' }),
}).openapi('PollDetail')

const label = text({ max: 200 })

export const CreatePollBody = z
  .strictObject({
    title: text({ max: 200 }),
    description: text({ max: 2000, min: 0, multiline: true }).default(''),
    options: z
      .array(label)
      .min(2, 'a poll needs at least 2 options')
      .max(20, 'a poll has at most 20 options')
      .refine(
        // Labels arrive NFC-normalised and trimmed: "é" typed two ways is one label.
        (labels) => new Set(labels.map((l) => l.toLowerCase())).size === labels.length,
        'option labels must be unique (ignoring case)',
      ),
    opensAt: instant().optional(),
    closesAt: instant().optional(),
    publishBallots: z
      .boolean({ error: 'must be true or false' })
      .default(true)
      .openapi({
        description:
          'Publish every ballot (tracker and option) on the board after the poll closes, so voters ' +
          'can check theirs and anyone can recount. Off where a receipt must not prove a choice.',
      }),
  })
  .refine(
    (poll) =>
      !poll.opensAt || !poll.closesAt || Date.parse(poll.opensAt) < Date.parse(poll.closesAt),
    {
      path: ['closesAt'],
      message: 'must be after opensAt',
    },
  )
  .openapi('CreatePoll')

export const CastVoteBody = z
  .strictObject({ optionId: z.uuid({ error: 'must be a UUID' }) })
  .openapi('CastVote')

export const CastVoteHeaders = z.object({
  'idempotency-key': z
    .string()
    .regex(IDEMPOTENCY_KEY_PATTERN, { error: 'must be 16–128 characters of A–Z a–z 0–9 _ . : -' })
    .optional()
    .openapi({
      description:
        'A fresh random value per vote (a UUID). Sending the same request again with the same key ' +
        'returns the same receipt instead of 409, whichever replica answers.',
      example: '0b7c6c9e-3f3a-4c55-9a8e-2d8c1b6f4e21',
    }),
})

export const ReceiptSchema = z
  .object({
    receipt: z.object({
      tracker: z
        .string()
        .regex(/^[0-9a-f]{32}$/)
        .openapi({ description: '128 random bits, hex' }),
      pollId: z.uuid(),
      castAt: z.iso.datetime(),
    }),
  })
  .openapi('Receipt')

export const HASH_PATTERN = /^[0-9a-f]{64}$/

export const ChainSchema = z
  .object({
    format: z.literal(CHAIN_FORMAT),
    head: z
      .string()
      .regex(HASH_PATTERN)
      .openapi({ description: 'The last entry’s hash (SHA-256, hex)' }),
    length: z.number().int().openapi({ description: 'Ballots in the chain' }),
    sealedAt: z.iso.datetime(),
    published: z.boolean().openapi({ description: 'Whether the board itself is public' }),
  })
  .openapi('Chain')

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

export type Poll = z.infer<typeof PollSchema>
export type Results = z.infer<typeof ResultsSchema>
export type CreatePollInput = z.infer<typeof CreatePollBody>
