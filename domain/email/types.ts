import { z } from 'zod'

/** Shapes shared by the email domain, the schema and the API. Pure: no I/O. */

export const CONTACT_STATUSES = ['pending', 'subscribed', 'unsubscribed', 'bounced', 'complained'] as const
/** `pending`: signed up through a form, double opt-in not confirmed yet (never mailed except the confirmation). */
export type ContactStatus = (typeof CONTACT_STATUSES)[number]

export const FIELD_TYPES = ['text', 'number', 'date'] as const
export type FieldType = (typeof FIELD_TYPES)[number]

/** At most `max` emails per contact within any `periodHours` window, across all drips. */
export const FrequencyCapSchema = z.strictObject({
  max: z.number().int().min(1).max(1000),
  periodHours: z.number().min(1).max(24 * 366),
})
export type FrequencyCap = z.infer<typeof FrequencyCapSchema>

/** An API event's name (`purchase`, `demo_booked`): what triggers, conditions and score rules match on. */
export const EventNameSchema = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .max(100, 'must be at most 100 characters')
  .regex(/^[A-Za-z0-9_.:-]+$/, 'use letters, digits and _ . : - (e.g. purchase, cart_abandoned)')

export const SCORE_RULE_KINDS = ['opened', 'clicked', 'event', 'inactive'] as const
export type ScoreRuleKind = (typeof SCORE_RULE_KINDS)[number]

const Points = z
  .number({ error: 'enter a number of points, like 5 or -3' })
  .min(-1000, 'must be at least -1000')
  .max(1000, 'must be at most 1000')
  .refine((n) => n !== 0, 'use a number other than 0 (remove the rule to stop scoring)')

/**
 * A lead-score rule: points for an email activity (`opened`, `clicked`), for an API event of a given
 * name, or (`inactive`) points taken away every `everyDays` days without activity: the decay.
 */
export const ScoreRuleSchema = z.discriminatedUnion('on', [
  z.strictObject({ on: z.enum(['opened', 'clicked']), points: Points }),
  z.strictObject({ on: z.literal('event'), name: EventNameSchema, points: Points }),
  z.strictObject({
    on: z.literal('inactive'),
    points: Points.refine((n) => n < 0, 'a decay takes points away: use a negative number, like -5'),
    everyDays: z.number({ error: 'enter a number of days, like 30' }).int('use whole days').min(1, 'must be at least 1').max(3650, 'must be at most 3650'),
  }),
])
export type ScoreRule = z.infer<typeof ScoreRuleSchema>

const ComparableValue = z.union([z.string().max(1000), z.number()])

/** One condition of a segment rule. Dates compare as ISO strings (YYYY-MM-DD sorts correctly). */
export const SegmentConditionSchema = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('field'),
    /** `email`, `name`, `timezone` or a custom field key. */
    field: z.string().min(1).max(100),
    op: z.enum(['eq', 'neq', 'contains', 'gt', 'gte', 'lt', 'lte', 'exists', 'missing']),
    value: ComparableValue.optional(),
  }),
  z.strictObject({ kind: z.literal('tag'), tag: z.string().min(1).max(100), has: z.boolean() }),
  z.strictObject({ kind: z.literal('score'), op: z.enum(['gt', 'gte', 'lt', 'lte']), value: z.number() }),
  z.strictObject({ kind: z.literal('status'), status: z.enum(['pending', 'subscribed', 'unsubscribed', 'bounced', 'complained']) }),
  z.strictObject({
    kind: z.literal('activity'),
    /** `event` matches API events by `name`; the others match email activity. */
    activity: z.enum(['event', 'sent', 'opened', 'clicked']),
    name: z.string().min(1).max(100).optional(),
    withinDays: z.number().min(0).max(3660).optional(),
    /** True: the contact did NOT do it (within the window). */
    negate: z.boolean().optional(),
  }),
])
export type SegmentCondition = z.infer<typeof SegmentConditionSchema>

export type SegmentRule = { match: 'all' | 'any'; conditions: Array<SegmentCondition | SegmentRule> }

export const SegmentRuleSchema: z.ZodType<SegmentRule> = z.lazy(() =>
  z.strictObject({
    match: z.enum(['all', 'any']),
    conditions: z.array(z.union([SegmentConditionSchema, SegmentRuleSchema])).max(50),
  }),
)
