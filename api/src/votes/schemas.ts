import { z } from '@hono/zod-openapi'
import { IDEMPOTENCY_KEY_PATTERN } from './idempotency.ts'

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
