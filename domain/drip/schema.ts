/**
 * The shape of an email drip (docs/decisions/016-drip-engine.md): drip-level settings (triggers,
 * re-entry, goals, default send window) live in `sequences.settings`; per-step settings (delay,
 * window, condition/branch) in `sequence_steps.settings`; the step's email (subject + Markdown) in
 * `sequence_steps.content.email`. Pure zod: used by the server module, the API and the editor.
 */
import { z } from 'zod'
import { DripActionSchema } from './actions'
import { CampaignSchema } from '../campaign'
import { isStorableJson, isStorableText } from '../email/contact'
import { SegmentRuleSchema } from '../email/types'
import { IsoDurationSchema, TimeZoneSchema } from '../timing/input'
import { QuietHoursSchema, SendWindowSchema, type QuietHours } from '../timing/drip'
import { countSmsSegments, MAX_SMS_SEGMENTS } from '../sms/segments'
import { classifyInbound } from '../sms/keywords'
import { MailStepSchema } from '../mail/piece'

export const REENTRY_POLICIES = ['once_ever', 'once_at_a_time', 'every_time'] as const
export type ReentryPolicy = (typeof REENTRY_POLICIES)[number]

const Storable = { error: 'must not contain NUL characters or unpaired surrogates' }
const Name = z.string().trim().min(1, { error: 'must not be empty' }).max(100).refine(isStorableText, Storable)

/** `bounced` is a hard bounce (the address is suppressed); `soft_bounced` a temporary failure reported by a DSN (decision 096). */
export const EMAIL_ACTIVITIES = ['opened', 'clicked', 'bounced', 'soft_bounced', 'complained', 'unsubscribed'] as const
export type EmailActivity = (typeof EMAIL_ACTIVITIES)[number]

/** A custom field's key as a trigger names it (a lifecycle stage is a custom field such as `lifecycle_stage`). */
const FieldKey = z.string().trim().regex(/^[a-z][a-z0-9_]{0,39}$/, { error: 'must be a custom field key (a–z, 0–9 and _)' })

/** What enrolls a contact. `manual` drips take only manual/CSV/API enrollments (every drip accepts those). */
export const DripTriggerSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('manual') }),
  /** Confirmation of the double opt-in of this signup form. */
  z.strictObject({ kind: z.literal('form'), formId: z.uuid({ error: 'must be a signup form id' }) }),
  /** `POST /api/v1/events` with this event name (`type`). */
  z.strictObject({ kind: z.literal('event'), event: Name }),
  /** Every year on the contact's date field, at `time` local to the contact. */
  z.strictObject({
    kind: z.literal('date'),
    field: Name,
    time: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, { error: 'must be a 24-hour time like 09:00' }),
  }),
  /** A contact newly matching this segment (evaluated periodically). */
  z.strictObject({ kind: z.literal('segment'), segmentId: z.uuid({ error: 'must be a segment id' }) }),
  /**
   * Email activity (decisions 079, 096): an open / click / hard bounce / soft bounce / spam complaint /
   * unsubscribe of any email, or of drip `dripId` (optionally its step `step`, 0-based; for clicks
   * optionally link `url`). A soft-bounce trigger with `times` enrolls at the contact's `times`-th soft bounce.
   */
  z.strictObject({
    kind: z.literal('email_activity'),
    activity: z.enum(EMAIL_ACTIVITIES, { error: `activity must be one of ${EMAIL_ACTIVITIES.join(', ')}` }),
    dripId: z.uuid({ error: 'must be a drip id' }).optional(),
    step: z.number().int().min(0).max(99).optional(),
    url: z.url({ error: 'must be a URL' }).max(2000).optional(),
    times: z.number({ error: 'must be a number' }).int({ error: 'must be a whole number' }).min(1, { error: 'must be at least 1' }).max(20, { error: 'must be at most 20' }).optional(),
  }),
  /**
   * A custom field changed (decision 096): to the value `to`, or to any value when `to` is absent (a
   * cleared field enrolls nobody). Fired by the contacts API and set-field action steps.
   */
  z.strictObject({
    kind: z.literal('field_changed'),
    field: FieldKey,
    to: z.union([z.string().trim().min(1, { error: 'must not be empty' }).max(1000).refine(isStorableText, Storable), z.number().finite()], { error: 'must be text or a number' }).optional(),
  }),
  /** An SMS reply (decision 081): any reply, or one that is exactly `keyword` (one word, any case). STOP, START and HELP words are the carriers'. */
  z.strictObject({
    kind: z.literal('sms_reply'),
    keyword: z
      .string()
      .trim()
      .regex(/^[A-Za-z0-9]{1,20}$/, { error: 'must be one word of letters and digits' })
      .transform((k) => k.toUpperCase())
      .refine((k) => classifyInbound(k) === 'reply', { error: 'STOP, START and HELP words are handled by the carrier rules, not triggers' })
      .optional(),
  }),
])
export type DripTrigger = z.infer<typeof DripTriggerSchema>
export type DripTriggerKind = DripTrigger['kind']

export const MAX_TRIGGERS = 10

/** What makes two triggers the same (a drip names each at most once): the kind and its form, event, date field or segment. */
export function triggerIdentity(t: DripTrigger): string {
  switch (t.kind) {
    case 'manual':
      return 'manual'
    case 'form':
      return `form:${t.formId}`
    case 'event':
      return `event:${t.event}`
    case 'date':
      return `date:${t.field}`
    case 'segment':
      return `segment:${t.segmentId}`
    case 'email_activity':
      return `email_activity:${t.activity}:${t.dripId ?? '*'}:${t.step ?? '*'}:${t.url ?? '*'}${t.times === undefined ? '' : `:${t.times}`}`
    case 'field_changed':
      return `field_changed:${t.field}:${t.to === undefined ? '*' : String(t.to)}`
    case 'sms_reply':
      return `sms_reply:${t.keyword ?? '*'}`
  }
}

/**
 * The `source` an enrollment by this trigger records (`form:<id>`, `event:<name>`, `segment:<id>`; a date
 * trigger's adds the year: `date:<field>:<year>`), so analytics can tell which trigger enrolled a contact.
 * Null for `manual`: those enrollments record `manual`, `import` or `api`.
 */
export function triggerSource(t: DripTrigger): string | null {
  return t.kind === 'manual' ? null : triggerIdentity(t)
}

/** Which of `triggers` recorded this enrollment `source` (its index), or -1 (manual, CSV, API, or a trigger since removed). */
export function triggerIndexOfSource(triggers: DripTrigger[], source: string): number {
  return triggers.findIndex((t) => {
    const own = triggerSource(t)
    return own !== null && (source === own || (t.kind === 'date' && source.startsWith(`${own}:`)))
  })
}

/**
 * A drip's triggers (docs/decisions/071-several-triggers-per-drip.md): any of them enrolls, under the one
 * re-entry policy. 1 to 10, none twice; `manual` only alone (every drip takes manual, CSV and API
 * enrollments anyway).
 */
export const DripTriggersSchema = z
  .array(DripTriggerSchema)
  .min(1, { error: 'add at least one trigger' })
  .max(MAX_TRIGGERS, { error: `at most ${MAX_TRIGGERS} triggers` })
  .superRefine((triggers, ctx) => {
    const seen = new Map<string, number>()
    triggers.forEach((t, i) => {
      if (t.kind === 'manual' && triggers.length > 1) {
        ctx.addIssue({ code: 'custom', path: [i, 'kind'], message: 'manual cannot be combined with other triggers: every drip takes manual, CSV and API enrollments anyway' })
      }
      if (t.kind === 'email_activity' && t.times !== undefined && t.activity !== 'soft_bounced') {
        ctx.addIssue({ code: 'custom', path: [i, 'times'], message: 'only a soft-bounce trigger counts times' })
      }
      if (t.kind === 'email_activity' && t.url !== undefined && t.activity !== 'clicked') {
        ctx.addIssue({ code: 'custom', path: [i, 'url'], message: 'only a click trigger names a link' })
      }
      const first = seen.get(triggerIdentity(t))
      if (first !== undefined) ctx.addIssue({ code: 'custom', path: [i], message: `the same trigger as trigger ${first + 1}` })
      else seen.set(triggerIdentity(t), i)
    })
  })

/** What an email condition looks at; the last three are the contact's email state (decision 096). */
export const CONDITION_ACTIVITIES = ['opened', 'clicked', 'bounced', 'complained', 'unsubscribed'] as const
/** The activities an email condition may ask of the contact as a whole (no step). */
export const STATE_ACTIVITIES = ['bounced', 'complained', 'unsubscribed'] as const

/** A step's condition, evaluated right before the step is sent. */
export const DripConditionSchema = z.discriminatedUnion('kind', [
  /**
   * The contact opened / clicked / hard-bounced / complained about / unsubscribed from the email of step
   * `step` (0-based position) of this enrollment within `withinDays` of its send. For `bounced`,
   * `complained` and `unsubscribed` the step may be left out: the contact's email state now (its status,
   * or its address suppressed for that reason), whichever email or drip it came from.
   */
  z.strictObject({
    kind: z.literal('email'),
    activity: z.enum(CONDITION_ACTIVITIES, { error: `activity must be one of ${CONDITION_ACTIVITIES.join(', ')}` }),
    step: z.number({ error: 'must be a step number' }).int().min(0).max(99).optional(),
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

export const DEFAULT_ATTRIBUTION_DAYS = 7
const AttributionDaysSchema = z.number({ error: 'must be a number of days' }).int({ error: 'must be a whole number of days' }).min(1).max(365)

export const DripSettingsSchema = z.strictObject({
  triggers: DripTriggersSchema,
  reentry: z.enum(REENTRY_POLICIES, { error: 'reentry must be once_ever, once_at_a_time or every_time' }).default('once_ever'),
  /** Event names that end an enrollment (`goal_reached`), e.g. `purchase`. */
  goals: z.array(Name).max(20).default([]),
  /** Default send window / quiet hours of every step, in the contact's zone. */
  window: SendWindowSchema.optional(),
  quietHours: QuietHoursSchema.optional(),
  /** A goal event counts as a conversion of the last step sent within this many days before it (absent: 7; decision 080). */
  attributionDays: AttributionDaysSchema.optional(),
  /** Signs the drip's webhook steps (`X-Trickle-Signature`); made when a webhook step is first saved. */
  webhookSecret: z.string().regex(/^[0-9a-f]{64}$/).optional(),
})
export type DripSettings = z.infer<typeof DripSettingsSchema>

export const STEP_KINDS = ['email', 'action', 'sms', 'mail'] as const
export type StepKind = (typeof STEP_KINDS)[number]

/** SMS steps of a drip without quiet hours of its own or of the drip stay quiet from 21:00 to 08:00 in the contact's zone (TCPA-style hours; decision 081). */
export const SMS_DEFAULT_QUIET_HOURS: QuietHours = { start: '21:00', end: '08:00' }

export const DripStepInputSchema = z.strictObject({
  /** Present when editing an existing step (keeps its counts and its enrollments' place). */
  id: z.uuid().optional(),
  /** `email` (the default: stored drips and earlier API clients), `action` (decision 079) or `sms` (decision 081). */
  kind: z.enum(STEP_KINDS, { error: 'kind must be email, action, sms or mail' }).default('email'),
  action: DripActionSchema.optional(),
  /** A direct-mail step's postcard or letter, with the same Liquid merge fields as an email (decision 089). */
  mail: MailStepSchema.optional(),
  /** An SMS step's text, with the same Liquid merge fields as an email (decision 081). */
  text: z
    .string()
    .max(2000)
    .refine((s) => s.trim().length > 0, { error: 'write the text message' })
    .refine(isStorableText, Storable)
    .refine((s) => countSmsSegments(s).segments <= MAX_SMS_SEGMENTS, { error: `must fit in ${MAX_SMS_SEGMENTS} SMS segments` })
    .optional(),
  subject: z
    .string()
    .trim()
    .min(1, { error: 'write a subject line' })
    .max(300)
    .refine((s) => !/[\r\n]/.test(s), { error: 'must be one line' })
    .refine(isStorableText, Storable)
    .optional(),
  markdown: z
    .string()
    .max(100_000)
    .refine((s) => s.trim().length > 0, { error: 'write the message body' })
    .refine(isStorableText, Storable)
    .optional(),
  delay: IsoDurationSchema('delay').default('P0D'),
  after: z.enum(['enrollment', 'previous-step']).default('previous-step'),
  window: SendWindowSchema.optional(),
  quietHours: QuietHoursSchema.optional(),
  condition: DripConditionSchema.optional(),
  onFalse: OnFalseSchema.default('skip'),
})
export type DripStepInput = z.input<typeof DripStepInputSchema>

/**
 * One schema for the drip editor form and the API (create and full update). `triggers` (default: manual
 * only); the single `trigger` of earlier API clients is still taken and read as `triggers: [trigger]`.
 */
export const DripInputSchema = z
  .strictObject({
    name: z.string().trim().min(1, { error: 'give the drip a name' }).max(200).refine(isStorableText, Storable),
    /** Fallback zone for contacts without one. */
    timezone: TimeZoneSchema('timezone').default('UTC'),
    triggers: DripTriggersSchema.optional(),
    /** Deprecated: one trigger, read as `triggers: [trigger]`. */
    trigger: DripTriggerSchema.optional(),
    reentry: z.enum(REENTRY_POLICIES, { error: 'reentry must be once_ever, once_at_a_time or every_time' }).default('once_ever'),
    goals: z.array(Name).max(20).default([]),
    attributionDays: AttributionDaysSchema.optional(),
    /** Tracked links carry UTM parameters (decision 084). New drips: off; absent on an update: unchanged. */
    utm: z.boolean({ error: 'utm: true or false' }).optional(),
    /** A campaign tag shared with series (decision 094); null or empty: none; absent on an update: unchanged. */
    campaign: CampaignSchema.optional(),
    window: SendWindowSchema.optional(),
    quietHours: QuietHoursSchema.optional(),
    steps: z.array(DripStepInputSchema).min(1, { error: 'add at least one step' }).max(100),
  })
  .superRefine((d, ctx) => {
    if (d.trigger && d.triggers) ctx.addIssue({ code: 'custom', path: ['trigger'], message: 'give either trigger or triggers, not both' })
    d.steps.forEach((s, i) => {
      if (s.kind !== 'sms' && s.text !== undefined) ctx.addIssue({ code: 'custom', path: ['steps', i, 'text'], message: 'only an SMS step has a text' })
      if (s.kind !== 'mail' && s.mail !== undefined) ctx.addIssue({ code: 'custom', path: ['steps', i, 'mail'], message: 'only a direct-mail step has a postcard or letter' })
      if (s.kind === 'mail') {
        if (s.action) ctx.addIssue({ code: 'custom', path: ['steps', i, 'action'], message: 'only an action step has an action' })
        if (s.subject !== undefined || s.markdown !== undefined) ctx.addIssue({ code: 'custom', path: ['steps', i, s.subject !== undefined ? 'subject' : 'markdown'], message: 'a direct-mail step has a postcard or letter, not a subject or body' })
        if (s.mail === undefined) ctx.addIssue({ code: 'custom', path: ['steps', i, 'mail'], message: 'choose a postcard or a letter' })
      } else if (s.kind === 'sms') {
        if (s.action) ctx.addIssue({ code: 'custom', path: ['steps', i, 'action'], message: 'only an action step has an action' })
        if (s.subject !== undefined || s.markdown !== undefined) ctx.addIssue({ code: 'custom', path: ['steps', i, s.subject !== undefined ? 'subject' : 'markdown'], message: 'an SMS step has a text, not a subject or body' })
        if (s.text === undefined) ctx.addIssue({ code: 'custom', path: ['steps', i, 'text'], message: 'write the text message' })
      } else if (s.kind === 'email') {
        if (s.action) ctx.addIssue({ code: 'custom', path: ['steps', i, 'action'], message: 'only an action step has an action' })
        if (s.subject === undefined) ctx.addIssue({ code: 'custom', path: ['steps', i, 'subject'], message: 'write a subject line' })
        if (s.markdown === undefined) ctx.addIssue({ code: 'custom', path: ['steps', i, 'markdown'], message: 'write the message body' })
      } else if (!s.action) ctx.addIssue({ code: 'custom', path: ['steps', i, 'action'], message: 'choose what the action does' })
      const c = s.condition
      if (c?.kind === 'email') {
        const state = (STATE_ACTIVITIES as readonly string[]).includes(c.activity)
        if (c.step === undefined && !state) ctx.addIssue({ code: 'custom', path: ['steps', i, 'condition', 'step'], message: `choose the earlier email step that was ${c.activity}` })
        else if (c.step !== undefined && c.step >= i) ctx.addIssue({ code: 'custom', path: ['steps', i, 'condition', 'step'], message: 'must name an earlier step' })
        else if (c.step !== undefined && state && (d.steps[c.step]?.kind ?? 'email') !== 'email') {
          ctx.addIssue({ code: 'custom', path: ['steps', i, 'condition', 'step'], message: 'must name an email step' })
        }
        if (c.step === undefined && c.withinDays !== undefined) ctx.addIssue({ code: 'custom', path: ['steps', i, 'condition', 'withinDays'], message: 'counts days after an email step: choose the step, or leave the days out' })
      }
      if (typeof s.onFalse === 'object' && (s.onFalse.goto <= i || s.onFalse.goto >= d.steps.length)) {
        ctx.addIssue({ code: 'custom', path: ['steps', i, 'onFalse', 'goto'], message: 'must name a later step' })
      }
    })
  })
  .transform(({ trigger, triggers, ...d }) => ({
    ...d,
    triggers: triggers ?? [trigger ?? { kind: 'manual' as const }],
    steps: d.steps.map((s) => (s.kind === 'sms' && !s.quietHours && !d.quietHours ? { ...s, quietHours: SMS_DEFAULT_QUIET_HOURS } : s)),
  }))
export type DripInput = z.input<typeof DripInputSchema>
export type DripInputParsed = z.output<typeof DripInputSchema>

/** Enrollment statuses: `active` until one of the others (terminal). */
export const ENROLLMENT_STATUSES = ['active', 'completed', 'goal_reached', 'exited', 'unsubscribed', 'bounced', 'failed'] as const
export type EnrollmentStatus = (typeof ENROLLMENT_STATUSES)[number]
