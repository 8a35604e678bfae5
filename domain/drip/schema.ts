/**
 * The shape of an email drip (docs/decisions/016-drip-engine.md): drip-level settings (trigger,
 * re-entry, goals, default send window) live in `sequences.settings`; per-step settings (delay,
 * window, condition/branch) in `sequence_steps.settings`; the step's email (subject + Markdown) in
 * `sequence_steps.content.email`. Pure zod: used by the server module, the API and the editor.
 */
import { z } from 'zod'
import { isStorableJson, isStorableText } from '../email/contact'
import { SegmentRuleSchema } from '../email/types'
import { IsoDurationSchema, TimeZoneSchema } from '../timing/input'
import { QuietHoursSchema, SendWindowSchema } from '../timing/drip'

export const REENTRY_POLICIES = ['once_ever', 'once_at_a_time', 'every_time'] as const
export type ReentryPolicy = (typeof REENTRY_POLICIES)[number]

const Storable = { error: 'must not contain NUL characters or unpaired surrogates' }
const Name = z.string().trim().min(1, { error: 'must not be empty' }).max(100).refine(isStorableText, Storable)

/** What enrolls a contact. `manual` drips take only manual/CSV/API enrollments (every drip accepts those). */
export const DripTriggerSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('manual') }),
  /** Confirmation of the double opt-in of this signup form. */
  z.strictObject({ kind: z.literal('form'), formId: z.uuid({ error: 'trigger.formId must be a signup form id' }) }),
  /** `POST /api/v1/events` with this event name (`type`). */
  z.strictObject({ kind: z.literal('event'), event: Name }),
  /** Every year on the contact's date field, at `time` local to the contact. */
  z.strictObject({
    kind: z.literal('date'),
    field: Name,
    time: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, { error: 'trigger.time must be a 24-hour time like 09:00' }),
  }),
  /** A contact newly matching this segment (evaluated periodically). */
  z.strictObject({ kind: z.literal('segment'), segmentId: z.uuid({ error: 'trigger.segmentId must be a segment id' }) }),
])
export type DripTrigger = z.infer<typeof DripTriggerSchema>

/** A step's condition, evaluated right before the step is sent. */
export const DripConditionSchema = z.discriminatedUnion('kind', [
  /** The contact opened / clicked the email of step `step` (0-based position) within `withinDays` of its send. */
  z.strictObject({
    kind: z.literal('email'),
    activity: z.enum(['opened', 'clicked']),
    step: z.number().int().min(0).max(99),
    withinDays: z.number().min(0).max(3660).optional(),
    negate: z.boolean().optional(),
  }),
  /** An API event with this name happened (since enrollment, or within `withinDays`). */
  z.strictObject({ kind: z.literal('event'), event: Name, withinDays: z.number().min(0).max(3660).optional(), negate: z.boolean().optional() }),
  /** The contact matches this saved segment now. */
  z.strictObject({ kind: z.literal('segment'), segmentId: z.uuid({ error: 'condition.segmentId must be a segment id' }), negate: z.boolean().optional() }),
  /** The contact matches this rule (fields, tags, score, activity) now. */
  z.strictObject({ kind: z.literal('rule'), rule: SegmentRuleSchema.refine(isStorableJson, Storable) }),
])
export type DripCondition = z.infer<typeof DripConditionSchema>

/** What happens when a step's condition is false: skip this step, end the enrollment, or jump to a later step. */
export const OnFalseSchema = z.union([z.literal('skip'), z.literal('exit'), z.strictObject({ goto: z.number().int().min(0).max(99) })])
export type OnFalse = z.infer<typeof OnFalseSchema>

export const DripStepSettingsSchema = z.strictObject({
  /** ISO 8601 duration after `after` (P0D: at once). */
  delay: IsoDurationSchema('delay'),
  after: z.enum(['enrollment', 'previous-step']).default('previous-step'),
  /** Overrides the drip's window / quiet hours for this step. */
  window: SendWindowSchema.optional(),
  quietHours: QuietHoursSchema.optional(),
  condition: DripConditionSchema.optional(),
  onFalse: OnFalseSchema.default('skip'),
})
export type DripStepSettings = z.infer<typeof DripStepSettingsSchema>

export const DripSettingsSchema = z.strictObject({
  trigger: DripTriggerSchema,
  reentry: z.enum(REENTRY_POLICIES, { error: 'reentry must be once_ever, once_at_a_time or every_time' }).default('once_ever'),
  /** Event names that end an enrollment (`goal_reached`), e.g. `purchase`. */
  goals: z.array(Name).max(20).default([]),
  /** Default send window / quiet hours of every step, in the contact's zone. */
  window: SendWindowSchema.optional(),
  quietHours: QuietHoursSchema.optional(),
})
export type DripSettings = z.infer<typeof DripSettingsSchema>

export const DripStepInputSchema = z.strictObject({
  /** Present when editing an existing step (keeps its counts and its enrollments' place). */
  id: z.uuid().optional(),
  subject: z
    .string()
    .trim()
    .min(1, { error: 'write a subject line' })
    .max(300)
    .refine((s) => !/[\r\n]/.test(s), { error: 'must be one line' })
    .refine(isStorableText, Storable),
  markdown: z
    .string()
    .max(100_000)
    .refine((s) => s.trim().length > 0, { error: 'write the message body' })
    .refine(isStorableText, Storable),
  delay: IsoDurationSchema('delay').default('P0D'),
  after: z.enum(['enrollment', 'previous-step']).default('previous-step'),
  window: SendWindowSchema.optional(),
  quietHours: QuietHoursSchema.optional(),
  condition: DripConditionSchema.optional(),
  onFalse: OnFalseSchema.default('skip'),
})
export type DripStepInput = z.input<typeof DripStepInputSchema>

/** One schema for the drip editor form and the API (create and full update). */
export const DripInputSchema = z
  .strictObject({
    name: z.string().trim().min(1, { error: 'give the drip a name' }).max(200).refine(isStorableText, Storable),
    /** Fallback zone for contacts without one. */
    timezone: TimeZoneSchema('timezone').default('UTC'),
    trigger: DripTriggerSchema.default({ kind: 'manual' }),
    reentry: z.enum(REENTRY_POLICIES, { error: 'reentry must be once_ever, once_at_a_time or every_time' }).default('once_ever'),
    goals: z.array(Name).max(20).default([]),
    window: SendWindowSchema.optional(),
    quietHours: QuietHoursSchema.optional(),
    steps: z.array(DripStepInputSchema).min(1, { error: 'add at least one step' }).max(100),
  })
  .superRefine((d, ctx) => {
    d.steps.forEach((s, i) => {
      if (s.condition?.kind === 'email' && s.condition.step >= i) {
        ctx.addIssue({ code: 'custom', path: ['steps', i, 'condition', 'step'], message: 'must name an earlier step' })
      }
      if (typeof s.onFalse === 'object' && (s.onFalse.goto <= i || s.onFalse.goto >= d.steps.length)) {
        ctx.addIssue({ code: 'custom', path: ['steps', i, 'onFalse', 'goto'], message: 'must name a later step' })
      }
    })
  })
export type DripInput = z.input<typeof DripInputSchema>
export type DripInputParsed = z.output<typeof DripInputSchema>

/** Enrollment statuses: `active` until one of the others (terminal). */
export const ENROLLMENT_STATUSES = ['active', 'completed', 'goal_reached', 'exited', 'unsubscribed', 'bounced', 'failed'] as const
export type EnrollmentStatus = (typeof ENROLLMENT_STATUSES)[number]
