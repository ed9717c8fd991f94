import { z } from '@hono/zod-openapi'
import { GROUP_NAME, GROUP_NAME_RULE } from '../auth/groups.ts'
import { mailboxOf } from '../auth/mailbox.ts'
import { instant, queryInt, text } from '../http/fields.ts'

// One set of schemas validates requests, types the handlers and generates the OpenAPI document.

export const PollStatusSchema = z.enum(['draft', 'open', 'closed']).openapi('PollStatus')

export const ResultsVisibilitySchema = z
  .enum(['live', 'after_close'], { error: 'must be "live" or "after_close"' })
  .openapi('ResultsVisibility', {
    description:
      '`live`: the tally moves as votes arrive. `after_close`: until the poll closes its results ' +
      'show turnout only — a live tally tells anyone who knows when someone voted how they voted.',
  })

const GroupName = z.string().regex(GROUP_NAME, GROUP_NAME_RULE).openapi({ example: 'staff' })

/** Most entries on one voter roll. */
export const MAX_ROLL_ENTRIES = 100_000

/** A roll as sent: addresses, each checked and reduced to its mailbox (auth/mailbox.ts), once each. */
export const RollEmails = z
  .array(z.string().max(320, 'must be an email address'))
  .max(MAX_ROLL_ENTRIES, `a roll has at most ${MAX_ROLL_ENTRIES.toLocaleString('en')} entries`)
  .transform((emails, ctx) => {
    const mailboxes = new Set<string>()
    for (const [index, email] of emails.entries()) {
      const mailbox = mailboxOf(email)
      if (mailbox) mailboxes.add(mailbox)
      else ctx.addIssue({ code: 'custom', path: [index], message: 'must be an email address' })
    }
    return [...mailboxes]
  })
  .openapi({
    description:
      'Email addresses, in any case; `a+tag@x` is the mailbox `a@x`. Longer rolls: create the ' +
      'poll with a few (or none) and upload the whole list to `PUT /polls/{pollId}/roll`.',
    example: ['ada@example.org', 'grace@example.org'],
  })

const ELIGIBILITY_FORMS =
  'must be { "kind": "anyone" }, { "kind": "group", "group": "<name>" } or ' +
  '{ "kind": "roll", "emails": ["…"] }'

export const EligibilityInputSchema = z
  .discriminatedUnion(
    'kind',
    [
      z.strictObject({ kind: z.literal('anyone') }),
      z.strictObject({ kind: z.literal('group'), group: GroupName }),
      z.strictObject({ kind: z.literal('roll'), emails: RollEmails }),
    ],
    { error: ELIGIBILITY_FORMS },
  )
  .openapi('EligibilityInput', {
    description:
      'Who may vote: `anyone` signed in; members of one identity-provider `group` (the ' +
      '`cognito:groups` claim of their access token); or the mailboxes on a voter `roll`, matched ' +
      'against the account’s verified email. Fixed once the poll opens.',
  })

export const EligibilitySchema = z
  .discriminatedUnion('kind', [
    z.object({ kind: z.literal('anyone') }),
    z.object({ kind: z.literal('group'), group: z.string() }),
    z.object({
      kind: z.literal('roll'),
      voters: z.number().int().openapi({ description: 'Mailboxes on the roll' }),
    }),
  ])
  .openapi('Eligibility', {
    description: 'Who may vote. A roll’s addresses are never shown: only how many there are.',
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

export const OptionSchema = z
  .object({
    id: z.uuid(),
    label: z.string(),
    votes: z.number().int().optional().openapi({
      description: 'The final count, once the poll is closed and sealed (absent before).',
    }),
  })
  .openapi('PollOption')

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
    resultsVisibility: ResultsVisibilitySchema,
    eligibility: EligibilitySchema,
  })
  .openapi('Poll')

export const PollDetailSchema = PollSchema.extend({
  hasVoted: z.boolean().optional().openapi({ description: 'Present when a token was sent.' }),
  eligible: z
    .boolean()
    .optional()
    .openapi({ description: 'Present when a token was sent: whether that voter may vote here.' }),
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
    resultsVisibility: ResultsVisibilitySchema.default('live'),
    eligibility: EligibilityInputSchema.default({ kind: 'anyone' }),
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

export type Poll = z.infer<typeof PollSchema>
/** A new poll as the repository takes it: the body after validation, visibility defaulting to live. */
export type CreatePollInput = Omit<
  z.infer<typeof CreatePollBody>,
  'resultsVisibility' | 'eligibility'
> &
  Partial<Pick<z.infer<typeof CreatePollBody>, 'resultsVisibility' | 'eligibility'>>
export type Eligibility = z.infer<typeof EligibilitySchema>

/**
 * Whether a voter may vote in a poll, as far as the token tells: anyone, or a member of the group.
 * A roll needs the voter's verified mailbox, which only the issuer knows (auth/verified-email.ts).
 */
export const isEligible = (
  eligibility: Eligibility,
  voter: { groups: readonly string[]; onRoll?: boolean },
): boolean =>
  eligibility.kind === 'anyone' ||
  (eligibility.kind === 'group' && voter.groups.includes(eligibility.group)) ||
  (eligibility.kind === 'roll' && voter.onRoll === true)
