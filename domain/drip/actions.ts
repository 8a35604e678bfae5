/**
 * Action steps of a drip (docs/decisions/079-drip-action-steps.md): a step of kind `action` changes the
 * contact or calls a webhook instead of sending an email. Pure: zod shapes, labels and the webhook
 * signature's payload and retry policy; core/drips/actions.server.ts applies them.
 */
import { z } from 'zod'
import { isStorableText } from '../email/contact'
import { IsoDurationSchema } from '../timing/input'

const Storable = { error: 'must not contain NUL characters or unpaired surrogates' }
const Key = z.string().trim().min(1, { error: 'must not be empty' }).max(100).refine(isStorableText, Storable)

/** What a wait-until step waits for (decision 096): an API event, an open / click of this enrollment's emails (of one step), or a contact's date field. */
export const WaitUntilSchema = z.discriminatedUnion('kind', [
  /** An API event with this name since the enrollment began (a purchase, a booked demo). */
  z.strictObject({ kind: z.literal('event'), event: Key }),
  /** An open or click of this enrollment's emails (of step `step`, 0-based, when given). */
  z.strictObject({ kind: z.literal('email'), activity: z.enum(['opened', 'clicked'], { error: 'activity must be opened or clicked' }), step: z.number().int().min(0).max(99).optional() }),
  /** The instant of a contact's date field at `time` in the contact's zone (an empty or past date goes on at once). */
  z.strictObject({
    kind: z.literal('date'),
    field: Key,
    time: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, { error: 'must be a 24-hour time like 09:00' }).default('09:00'),
  }),
])
export type WaitUntil = z.infer<typeof WaitUntilSchema>

const Line = (max: number) => z.string().trim().min(1, { error: 'must not be empty' }).max(max).refine((s) => !/[\r\n]/.test(s), { error: 'must be one line' }).refine(isStorableText, Storable)

export const DripActionSchema = z.discriminatedUnion('type', [
  /** Set a custom field, or add to / take from a number field. */
  z.strictObject({
    type: z.literal('set_field'),
    field: Key,
    op: z.enum(['set', 'increment', 'decrement']).default('set'),
    value: z.union([z.string().max(1000).refine(isStorableText, Storable), z.number().finite()]),
  }),
  z.strictObject({ type: z.literal('add_tag'), tag: Key }),
  z.strictObject({ type: z.literal('remove_tag'), tag: Key }),
  /** Add (or, negative, take) points from the lead score; recorded in the score history. */
  z.strictObject({ type: z.literal('score'), points: z.number().int().min(-1000).max(1000).refine((n) => n !== 0, { error: 'must not be 0' }) }),
  z.strictObject({ type: z.literal('enroll'), dripId: z.uuid({ error: 'must be a drip id' }) }),
  z.strictObject({ type: z.literal('unenroll'), dripId: z.uuid({ error: 'must be a drip id' }) }),
  /** POST the contact, drip and step as JSON, signed with the drip's webhook secret. */
  z.strictObject({
    type: z.literal('webhook'),
    url: z
      .url({ protocol: /^https?$/, error: 'must be an http(s) URL' })
      .max(2000),
  }),
  /** Hold the enrollment until `until` happens, at most `timeout` (ISO 8601) after the wait began; then go on either way. */
  z.strictObject({ type: z.literal('wait_until'), until: WaitUntilSchema, timeout: IsoDurationSchema('timeout') }),
  /** Email a member of the workspace (`userId`) through the workspace's sender; subject and text take the contact's merge fields. */
  z.strictObject({
    type: z.literal('notify'),
    userId: z.uuid({ error: 'must be a member of the workspace' }),
    subject: Line(300),
    text: z.string().max(5000).refine((t) => t.trim().length > 0, { error: 'write the message' }).refine(isStorableText, Storable),
  }),
])
export type DripAction = z.infer<typeof DripActionSchema>
export type DripActionInput = z.input<typeof DripActionSchema>

/** How a step's action reads in the step table: "Action: tag +vip". */
export function describeAction(a: DripAction): string {
  switch (a.type) {
    case 'set_field':
      return a.op === 'set' ? `Action: ${a.field} = ${a.value}` : `Action: ${a.field} ${a.op === 'increment' ? '+' : '−'}${a.value}`
    case 'add_tag':
      return `Action: tag +${a.tag}`
    case 'remove_tag':
      return `Action: tag −${a.tag}`
    case 'score':
      return `Action: score ${a.points > 0 ? '+' : '−'}${Math.abs(a.points)}`
    case 'enroll':
      return 'Action: enroll into another drip'
    case 'unenroll':
      return 'Action: remove from another drip'
    case 'webhook':
      return `Webhook → ${a.url}`
    case 'wait_until':
      return `Wait until ${describeWait(a.until)} (at most ${a.timeout})`
    case 'notify':
      return `Notify a teammate: ${a.subject}`
  }
}

function describeWait(w: WaitUntil): string {
  switch (w.kind) {
    case 'event':
      return `event “${w.event}”`
    case 'email':
      return `${w.activity === 'clicked' ? 'a click' : 'an open'}${w.step === undefined ? '' : ` of step ${w.step + 1}`}`
    case 'date':
      return `“${w.field}” at ${w.time}`
  }
}

/** The new value of a field after a set-field action; a non-number stored value counts as 0 for increment/decrement. */
export function fieldAfter(current: unknown, a: Extract<DripAction, { type: 'set_field' }>): string | number {
  if (a.op === 'set') return a.value
  const base = typeof current === 'number' ? current : Number(current ?? 0) || 0
  const by = Number(a.value) || 0
  return a.op === 'increment' ? base + by : base - by
}

/** The `X-Trickle-Signature` header: `t=<unix seconds>,v1=<hex HMAC-SHA256 of "t.body">` (the HMAC is computed by the caller). */
export function signaturePayload(unixSeconds: number, body: string): string {
  return `${unixSeconds}.${body}`
}

export type WebhookAttemptOutcome = { status: number } | { error: 'timeout' | 'network' | 'refused'; message: string }

/**
 * What to do after one webhook attempt: done (2xx), fail now (4xx, refused address), or retry after
 * `delayMs` (5xx, timeout, network error) while attempts remain. Exponential: base, 2·base, 4·base…
 */
export function webhookNext(args: { outcome: WebhookAttemptOutcome; attempt: number; maxAttempts: number; baseDelayMs: number }):
  | { action: 'done' }
  | { action: 'fail'; reason: string }
  | { action: 'retry'; delayMs: number } {
  const o = args.outcome
  if ('status' in o && o.status >= 200 && o.status < 300) return { action: 'done' }
  const reason = 'status' in o ? `HTTP ${o.status}` : o.message
  const retryable = 'status' in o ? o.status >= 500 || o.status === 429 : o.error !== 'refused'
  if (!retryable || args.attempt >= args.maxAttempts) return { action: 'fail', reason: args.attempt > 1 ? `${reason} (after ${args.attempt} attempts)` : reason }
  return { action: 'retry', delayMs: args.baseDelayMs * 2 ** (args.attempt - 1) }
}
