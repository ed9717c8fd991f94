import { z } from '@hono/zod-openapi'
import { CHAIN_FORMAT } from '@votelab/ballot-chain'

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
