import { z } from 'zod'
import { findContactByEmail } from '../../db/queries/contacts'
import { projectTimeline, TimelineDripSchema, type TimelineStep } from '../../domain/drip/timeline'
import { TimingInputError, TimeZoneSchema } from '../../domain/timing/input'
import { fieldOfErrorPath, formDataToValues, formValuesToInput } from '../drip-form'
import { InputError } from '../errors'
import type { Services } from '../services.server'

/**
 * The timeline preview (docs/decisions/071-several-triggers-per-drip.md): "a contact in Asia/Tokyo
 * enrolling now gets step 1 at …, step 2 at …", for a zone or a sample contact (its zone), computed by
 * domain/drip/timeline.ts on the runner's own timing rule. Every condition is assumed to hold.
 */

export const TimelinePreviewInputSchema = TimelineDripSchema.extend({
  /** The contact's zone (default: the drip's). */
  zone: TimeZoneSchema('zone').optional(),
  /** A contact of the workspace whose zone to use, instead of `zone`. */
  email: z.string().trim().pipe(z.email({ error: 'email must be an email address' }).max(320)).optional(),
  /** Default: now. */
  enrolledAt: z.iso.datetime({ error: 'enrolledAt must be an ISO 8601 UTC instant like 2026-11-02T08:00:00Z' }).optional(),
}).refine((v) => !(v.zone && v.email), { path: ['email'], error: 'give either zone or email, not both' })

export type TimelinePreview = {
  zone: string
  /** The sample contact, when one was named. */
  contact: { email: string; timezone: string | null } | null
  enrolledAt: string
  local: string
  /** What the preview takes for granted. */
  assumes: string
  steps: Array<Omit<TimelineStep, 'at'> & { at: string }>
}

const ASSUMES = 'Assumes every condition holds and each email goes out when due (no frequency cap, no worker delay).'

/** The API's preview: a drip's timing (as in DripInput) and a zone or sample contact. 400 naming the field. */
export async function previewDripTimeline(services: Services, args: { workspaceId: string; input: unknown }): Promise<TimelinePreview> {
  const parsed = TimelinePreviewInputSchema.safeParse(args.input)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!
    const field = [...issue.path, ...(issue.code === 'unrecognized_keys' ? issue.keys.slice(0, 1) : [])].map(String).join('.') || 'input'
    throw new InputError(field, issue.message.startsWith(field) ? issue.message : `${field}: ${issue.message}`)
  }
  const { zone, email, enrolledAt, ...drip } = parsed.data
  let contact: TimelinePreview['contact'] = null
  if (email) {
    const found = await findContactByEmail(services.database.db, { workspaceId: args.workspaceId, email: email.toLowerCase() })
    if (!found) throw new InputError('email', 'email: no contact with this address')
    contact = { email: found.email, timezone: found.timezone }
  }
  try {
    const t = projectTimeline({ drip, zone: contact ? contact.timezone : (zone ?? null), enrolledAt: enrolledAt ? new Date(enrolledAt) : services.clock.now() })
    return { zone: t.zone, contact, enrolledAt: t.enrolledAt.toISOString(), local: t.local, assumes: ASSUMES, steps: t.steps.map((s) => ({ ...s, at: s.at.toISOString() })) }
  } catch (error) {
    if (!(error instanceof TimingInputError)) throw error
    const issue = error.issues[0]!
    throw new InputError(issue.field, issue.message)
  }
}

export type TimelineFormResult = { ok: true; timeline: TimelinePreview } | { ok: false; field: string; message: string }

/** The drip builder's live preview: its posted fields (unsaved; subjects may still be blank) plus `zone` or `email`. */
export async function previewTimelineForm(services: Services, args: { workspaceId: string; form: FormData }): Promise<TimelineFormResult> {
  const input = formValuesToInput(formDataToValues(args.form))
  const text = (name: string) => {
    const v = args.form.get(name)
    return typeof v === 'string' && v.trim() !== '' ? v : undefined
  }
  try {
    const timeline = await previewDripTimeline(services, {
      workspaceId: args.workspaceId,
      input: { timezone: input.timezone, window: input.window, quietHours: input.quietHours, steps: input.steps.map((s) => ({ delay: s.delay, after: s.after })), zone: text('email') ? undefined : text('zone'), email: text('email') },
    })
    return { ok: true, timeline }
  } catch (error) {
    if (!(error instanceof InputError)) throw error
    const field = fieldOfErrorPath(error.field ?? 'form')
    return { ok: false, field, message: error.field && error.message.startsWith(`${error.field}: `) ? error.message.slice(error.field.length + 2) : error.message }
  }
}
