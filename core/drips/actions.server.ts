import { createHmac } from 'node:crypto'
import { isAddressNotAllowed } from '../../connectors/net-guard'
import type { DbOrTx } from '../../db/client'
import { lockContact, setLeadScore, updateContact } from '../../db/queries/contacts'
import { exitEnrollments, lockActionDelivery } from '../../db/queries/drip-actions'
import { getDrip, type DripWithSteps } from '../../db/queries/drips'
import { type ClaimedEnrollment, type SendRecord } from '../../db/queries/enrollments'
import { recordAndMark } from '../../db/queries/send-groups'
import { insertScoreChanges } from '../../db/queries/score-rules'
import type { Clock } from '../../domain/clock'
import { describeAction, fieldAfter, signaturePayload, webhookNext, type DripAction, type WebhookAttemptOutcome } from '../../domain/drip/actions'
import { addScore } from '../../domain/email/score'
import { enrollInto } from './enroll.server'
import { ConnectorError, type Connector, type Credentials } from '../../connectors/types'
import type { EmailSettings } from '../../db/queries/contacts'
import { listMembers } from '../../db/queries/workspaces'
import { contactScope, renderTemplate } from '../../domain/email/liquid'
import { escapeHtml } from '../../domain/email/template'
import { onFieldsChanged } from './activity-triggers.server'

/**
 * Action steps (docs/decisions/079-drip-action-steps.md), run by the drip runner on the same claim /
 * mark / record path as an email: the step's delivery is marked `publishing`, then a contact action is
 * applied in ONE transaction with its delivery's outcome and the enrollment's advance, under a lock on
 * that delivery that holds only while it is still this attempt's — so after a SIGKILL an action already
 * recorded is never applied again, and one not recorded was not applied. A webhook is the exception:
 * the request leaves the process before its outcome is recorded, so a crash in between sends it again
 * on the next claim, with the same `Idempotency-Key: <enrollment>:<step>` for the receiver to dedupe.
 */

export type WebhookOptions = {
  /** The SSRF-guarded fetch (connectors/net-guard.ts). */
  fetch: typeof fetch
  timeoutMs?: number
  /** Attempts in all (5xx, 429, timeouts and network errors are retried). Default 3. */
  attempts?: number
  /** First retry delay, doubled each time. Default 1 s. */
  backoffMs?: number
}

export type ActionItem = {
  enrollment: ClaimedEnrollment
  drip: DripWithSteps
  position: number
  halfLifeDays: number | null
  /** A wait-until step whose wait timed out (recorded on its delivery). */
  note?: string
  /** The workspace's sender: a notify step's email goes through it. */
  sender?: { settings: Pick<EmailSettings, 'fromName' | 'fromEmail' | 'replyTo'>; credentials: Credentials }
}

/** What a notify step needs beyond the database: the email connector (the runner's). */
export type NotifyOptions = { email?: Connector }

type Outcome = { state: 'published' | 'failed'; error: string | null; errorKind: string | null }

/** Run one action step whose delivery `mark` made `publishing`; records its outcome and `advance` (`record` less the outcome). */
export async function runActionStep(
  deps: { db: DbOrTx; clock: Clock; webhook: WebhookOptions } & NotifyOptions,
  args: { item: ActionItem; attemptId: string; deliveryId: string; record: Omit<SendRecord, 'state' | 'remoteId' | 'lastError' | 'lastErrorKind' | 'at'> },
): Promise<Outcome> {
  const { item } = args
  const step = item.drip.steps[item.position]!
  const action = step.content.action!
  const e = item.enrollment
  const finish = (o: Outcome): SendRecord => ({ ...args.record, state: o.state, remoteId: null, lastError: o.error, lastErrorKind: o.errorKind, sentKey: null, at: deps.clock.now() })
  if (action.type === 'webhook' || action.type === 'notify') {
    // The request (the email) leaves before its outcome is recorded: a crash in between repeats it, with the same key.
    const outcome = action.type === 'webhook' ? await callWebhook(deps, { item, url: action.url }) : await notifyMember(deps, { item, action })
    await recordAndMark(deps.db, { record: finish(outcome), mark: null })
    return outcome
  }
  if (action.type === 'wait_until') {
    // Its wait is over (the runner decided): recorded, with "timed out after …" when the awaited thing never came.
    const outcome: Outcome = { state: 'published', error: item.note ?? null, errorKind: item.note ? 'wait-timeout' : null }
    await recordAndMark(deps.db, { record: finish(outcome), mark: null })
    return outcome
  }
  let fieldChange: FieldChange | null = null
  const apply = async (): Promise<Outcome | null> =>
    deps.db.transaction(async (tx) => {
      if (!(await lockActionDelivery(tx, { workspaceId: e.workspaceId, deliveryId: args.deliveryId, attemptId: args.attemptId }))) return null
      fieldChange = await applyContactAction(tx, { clock: deps.clock, item, action, stepId: step.id })
      const ok: Outcome = { state: 'published', error: null, errorKind: null }
      await recordAndMark(tx, { record: finish(ok), mark: null })
      return ok
    })
  let outcome: Outcome | null
  try {
    outcome = await apply()
  } catch (error) {
    // The action could not be applied (its drip or field is gone): recorded as failed; the enrollment goes on.
    const failed: Outcome = { state: 'failed', error: (error as Error).message, errorKind: 'invalid-content' }
    await recordAndMark(deps.db, { record: finish(failed), mark: null })
    return failed
  }
  // A field set by this drip may enroll into other drips ("field changed", decision 096), once committed.
  const changed = fieldChange as FieldChange | null
  if (outcome && changed) {
    await onFieldsChanged({ database: { db: deps.db }, clock: deps.clock }, { workspaceId: e.workspaceId, contactId: e.contactId, ...changed, at: deps.clock.now(), exceptDripId: item.drip.drip.id })
  }
  return outcome ?? { state: 'published', error: null, errorKind: null }
}

type FieldChange = { before: Record<string, string | number | null>; after: Record<string, string | number | null> }

/** Apply a contact action; a set-field action answers the fields before and after (for the "field changed" triggers). */
async function applyContactAction(tx: DbOrTx, args: { clock: Clock; item: ActionItem; action: Exclude<DripAction, { type: 'webhook' | 'notify' | 'wait_until' }>; stepId: string }): Promise<FieldChange | null> {
  const { item, action } = args
  const { workspaceId, contactId } = item.enrollment
  const at = args.clock.now()
  const contact = await lockContact(tx, { workspaceId, contactId })
  if (!contact) throw new Error('the contact no longer exists')
  switch (action.type) {
    case 'set_field': {
      const fields = { ...contact.fields, [action.field]: fieldAfter(contact.fields[action.field], action) }
      await updateContact(tx, { workspaceId, contactId, patch: { fields }, at })
      return { before: contact.fields, after: fields }
    }
    case 'add_tag':
      if (!contact.tags.includes(action.tag)) await updateContact(tx, { workspaceId, contactId, patch: { tags: [...contact.tags, action.tag] }, at })
      return null
    case 'remove_tag':
      if (contact.tags.includes(action.tag)) await updateContact(tx, { workspaceId, contactId, patch: { tags: contact.tags.filter((t) => t !== action.tag) }, at })
      return null
    case 'score': {
      const stored = addScore({ stored: { score: contact.leadScore, at: contact.leadScoreAt }, points: action.points, now: at, halfLifeDays: item.halfLifeDays })
      await setLeadScore(tx, { workspaceId, contactId, score: stored.score, at })
      const rule = `Drip “${item.drip.drip.name}”, step ${item.position + 1}: ${action.points > 0 ? '+' : ''}${action.points}`
      await insertScoreChanges(tx, { workspaceId, changes: [{ contactId, ruleId: null, rule, points: action.points, eventId: null, occurredAt: at }] })
      return null
    }
    case 'enroll': {
      const target = await getDrip(tx, { workspaceId, dripId: action.dripId })
      if (!target) throw new Error('the drip to enroll into no longer exists')
      const services = { database: { db: tx } as never, clock: args.clock }
      await enrollInto(services, { drip: target, contact, source: `drip:${item.drip.drip.id}`, enrollKey: `action:${item.enrollment.id}:${args.stepId}` })
      return null
    }
    case 'unenroll':
      await exitEnrollments(tx, { workspaceId, dripId: action.dripId, contactId, reason: `removed by drip “${item.drip.drip.name}”`, at })
      return null
  }
}

/**
 * A notify step (decision 096): one email to a member of the workspace through the workspace's sender,
 * the subject and text rendered with the contact's merge fields (Liquid, sandboxed; the HTML part is the
 * text, escaped). Its Message-ID derives from (enrollment, step), so a repeat after a crash is recognisable.
 */
async function notifyMember(deps: { db: DbOrTx } & NotifyOptions, args: { item: ActionItem; action: Extract<DripAction, { type: 'notify' }> }): Promise<Outcome> {
  const { item, action } = args
  const e = item.enrollment
  const step = item.drip.steps[item.position]!
  if (!deps.email || !item.sender) return { state: 'failed', error: 'no email sender configured', errorKind: 'transient' }
  const member = (await listMembers(deps.db, { workspaceId: e.workspaceId })).find((m) => m.userId === action.userId)
  if (!member) return { state: 'failed', error: 'the teammate to notify is no longer a member of the workspace', errorKind: 'invalid-content' }
  const scope = { contact: contactScope(e.contact) }
  let subject: string
  let text: string
  let html: string
  try {
    subject = renderTemplate(action.subject, { scope, output: (v) => v }).replace(/[\r\n]+/g, ' ').trim()
    text = renderTemplate(action.text, { scope, output: (v) => v })
    html = text
      .trim()
      .split(/\n{2,}/)
      .map((p) => `<p>${escapeHtml(p).replace(/\n/g, '<br>')}</p>`)
      .join('')
  } catch (error) {
    return { state: 'failed', error: `template: ${(error as Error).message}`, errorKind: 'invalid-content' }
  }
  const { settings, credentials } = item.sender
  try {
    await deps.email.publish({
      credentials,
      idempotencyKey: `notify:${e.id}:${step.id}`,
      content: { parts: [], email: { from: { name: settings.fromName, address: settings.fromEmail }, to: member.email, replyTo: e.contact.email, subject, text, html } },
    })
    return { state: 'published', error: null, errorKind: null }
  } catch (error) {
    const err = error instanceof ConnectorError ? error : new ConnectorError('unknown-outcome', (error as Error).message)
    return { state: 'failed', error: `notify ${member.email}: ${err.message}`, errorKind: err.kind }
  }
}

/** POST the signed JSON, retrying 5xx / 429 / timeouts with backoff a bounded number of times. */
async function callWebhook(deps: { clock: Clock; webhook: WebhookOptions }, args: { item: ActionItem; url: string }): Promise<Outcome> {
  const { item } = args
  const e = item.enrollment
  const step = item.drip.steps[item.position]!
  const secret = item.drip.drip.settings.webhookSecret
  if (!secret) return { state: 'failed', error: 'the drip has no webhook secret (save it again)', errorKind: 'invalid-content' }
  const body = JSON.stringify({
    type: 'drip.step',
    contact: { id: e.contact.id, email: e.contact.email, name: e.contact.name, fields: e.contact.fields, tags: e.contact.tags },
    drip: { id: item.drip.drip.id, name: item.drip.drip.name },
    step: { id: step.id, position: step.position, action: describeAction(step.content.action!) },
    enrollment: { id: e.id, startedAt: e.startedAt.toISOString() },
  })
  const maxAttempts = deps.webhook.attempts ?? 3
  for (let attempt = 1; ; attempt++) {
    const t = Math.floor(deps.clock.now().getTime() / 1000)
    const signature = createHmac('sha256', secret).update(signaturePayload(t, body)).digest('hex')
    let outcome: WebhookAttemptOutcome
    try {
      const res = await deps.webhook.fetch(args.url, {
        method: 'POST',
        body,
        redirect: 'manual',
        signal: AbortSignal.timeout(deps.webhook.timeoutMs ?? 10_000),
        headers: { 'content-type': 'application/json', 'user-agent': 'Trickle-Webhook', 'x-trickle-signature': `t=${t},v1=${signature}`, 'idempotency-key': `${e.id}:${step.id}` },
      })
      await res.body?.cancel()
      outcome = { status: res.status }
    } catch (error) {
      const err = error as Error
      if (isAddressNotAllowed(error)) outcome = { error: 'refused', message: 'webhook address not allowed (private or loopback)' }
      else if (err.name === 'TimeoutError' || err.name === 'AbortError') outcome = { error: 'timeout', message: 'webhook timed out' }
      else outcome = { error: 'network', message: `webhook: ${err.message}` }
    }
    const next = webhookNext({ outcome, attempt, maxAttempts, baseDelayMs: deps.webhook.backoffMs ?? 1000 })
    if (next.action === 'done') return { state: 'published', error: null, errorKind: null }
    if (next.action === 'fail') return { state: 'failed', error: next.reason, errorKind: 'error' in outcome && outcome.error === 'refused' ? 'invalid-content' : 'transient' }
    await new Promise((resolve) => setTimeout(resolve, next.delayMs))
  }
}
