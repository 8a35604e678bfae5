import { randomUUID } from 'node:crypto'
import { ConnectorError, type Connector, type Credentials } from '../../connectors/types'
import { isEmailBounce } from '../../connectors/email/index'
import { smsRecipientRefusal } from '../../connectors/sms/index'
import type { Db } from '../../db/client'
import { getAccountCredentials } from '../../db/queries/accounts'
import { getEmailSettings, type EmailSettings } from '../../db/queries/contacts'
import { loadActiveDrips, loadSegmentRules, segmentRuleKey, type DripWithSteps } from '../../db/queries/drips'
import { claimDueEnrollments, insertSkippedDeliveries, recordAndMark, releaseClaims, settleEnrollments, type ClaimedEnrollment, type SendRecord, type Settlement } from '../../db/queries/enrollments'
import { insertContactEvent } from '../../db/queries/events'
import { suppressAddress } from '../../db/queries/suppression'
import { suppressPhone } from '../../db/queries/sms'
import { smsSkipReason } from '../../domain/sms/eligibility'
import { contactScope, renderTemplate } from '../../domain/email/liquid'
import type { Keyring } from '../../db/vault'
import type { Clock } from '../../domain/clock'
import { decideSendFailure } from '../../domain/drip/failure'
import { afterSend, decideDue, type DripDef, type StepDef } from '../../domain/drip/runner'
import { TemplateError } from '../../domain/email/liquid'
import { decayedScore } from '../../domain/email/score'
import type { LinkClaims } from '../../domain/email/links'
import type { ChannelContent } from '../../connectors/types'
import type { Services } from '../services.server'
import { composeEmail, emailConnector } from '../email.server'
import { campaignSlug, stepContent, type Utm } from '../../domain/links/utm'
import { emailBounces, emailsSent, smsSent } from '../metrics.server'
import { smsSenderFor, smsWebhookUrls, type SmsSender } from '../sms.server'
import { createNetGuard, type NetGuard } from '../../connectors/net-guard'
import { runActionStep, type ActionItem, type WebhookOptions } from './actions.server'

/**
 * The drip runner (docs/decisions/016-drip-engine.md): one recurring job (plus a wake-up after
 * enrollments) walks due enrollments in batches — no Agenda job per recipient. Per batch: one claim
 * statement (joins contacts, suppressions, recent sends, activity), decisions in memory, one
 * statement for all non-send outcomes, then the sends one at a time, each costing one statement that
 * records the previous message and marks the next one `publishing` after re-checking the
 * suppression list and the contact's status. So at most one message per worker is ever in flight
 * without its outcome recorded: a SIGKILL re-sends at most that one (same Message-ID), loses none.
 */

export type ComposeEmail = (args: {
  settings: EmailSettings
  contact: ClaimedEnrollment['contact']
  template: { subject: string; markdown: string }
  claims: LinkClaims
  /** The drip's UTM parameters for this step's tracked links, when the drip has them on (decision 084). */
  utm?: Utm
}) => NonNullable<ChannelContent['email']>

export type DripRunnerDeps = {
  db: Db
  clock: Clock
  keyring: Keyring
  email: Connector
  /** SMS steps (decision 081): the registry's Twilio connector; absent, SMS steps wait as with a missing sender. */
  sms?: Connector
  /** Where Twilio posts an SMS's status changes (APP_URL/webhooks/twilio/<workspace>/status). */
  smsStatusUrl?: (workspaceId: string) => string
  compose: ComposeEmail
  /** Enrollments claimed per statement. Default 200. */
  batchSize?: number
  /** How long a claim holds (a worker that died releases its batch after this). Default 120 s. */
  leaseMs?: number
  /** A pass stops taking new batches after this long (the job runs again). Default 60 s. */
  passBudgetMs?: number
  /** Activity horizon for conditions and goals, in days. Default 400. */
  activityDays?: number
  /** Retry delay after an SMTP failure that provably sent nothing. Default 5 min. */
  retryMs?: number
  /** Webhook action steps: the guarded fetch, timeout and retries (core/drips/actions.server.ts). */
  webhook?: WebhookOptions
  /** Called before every batch after the first (the job handler touches its job lock: jobs/drip-runner.ts). */
  heartbeat?: () => Promise<void>
}

export type DripPassReport = { batches: number; claimed: number; sent: number; /** Action steps done. */ actions: number; deferred: number; skipped: number; ended: number; blocked: number; failed: number }

type SenderContext = { settings: EmailSettings; credentials: Credentials } | { problem: string }

export async function runDripPass(deps: DripRunnerDeps): Promise<DripPassReport> {
  const report: DripPassReport = { batches: 0, claimed: 0, sent: 0, actions: 0, deferred: 0, skipped: 0, ended: 0, blocked: 0, failed: 0 }
  const { db, clock } = deps
  const drips = await loadActiveDrips(db)
  if (drips.size === 0) return report
  const activityDripIds = [...drips.values()].filter(needsActivity).map((d) => d.drip.id)
  const refs = [...drips.values()].flatMap((d) =>
    d.steps.flatMap((s) => (s.settings.condition?.kind === 'segment' ? [{ workspaceId: d.drip.workspaceId, segmentId: s.settings.condition.segmentId }] : [])),
  )
  const segments = await loadSegmentRules(db, { refs })
  const senders = new Map<string, SenderContext>()
  const smsSenders = new Map<string, SmsSender>()
  let cursor: { at: Date; id: string } | null = null
  // The budget is wall time (a fixed test clock must not make a pass endless).
  const wallStart = performance.now()
  for (;;) {
    if (performance.now() - wallStart > (deps.passBudgetMs ?? 60_000)) break
    if (report.batches > 0) await deps.heartbeat?.()
    const now = clock.now()
    const claimId = randomUUID()
    const batch = await claimDueEnrollments(db, {
      now,
      limit: deps.batchSize ?? 200,
      claimId,
      leaseUntil: new Date(now.getTime() + (deps.leaseMs ?? 120_000)),
      cursor,
      activityDripIds,
      activityDays: deps.activityDays ?? 400,
    })
    if (batch.length === 0) break
    report.batches++
    report.claimed += batch.length
    const last = batch[batch.length - 1]!
    cursor = { at: last.nextDueAt, id: last.id }
    await runBatch(deps, { batch, claimId, drips, segments, senders, smsSenders, now, report })
  }
  return report
}

function needsActivity(d: DripWithSteps): boolean {
  return (d.drip.settings.goals?.length ?? 0) > 0 || d.steps.some((s) => !!s.settings.condition)
}

async function senderFor(deps: DripRunnerDeps, senders: Map<string, SenderContext>, workspaceId: string): Promise<SenderContext> {
  let ctx = senders.get(workspaceId)
  if (!ctx) {
    const settings = await getEmailSettings(deps.db, { workspaceId })
    if (!settings?.senderAccountId) ctx = { problem: 'no sender configured' }
    else {
      try {
        ctx = { settings, credentials: await getAccountCredentials(deps.db, { workspaceId, accountId: settings.senderAccountId, keyring: deps.keyring }) }
      } catch (error) {
        ctx = { problem: `sender credentials: ${(error as Error).message}` }
      }
    }
    senders.set(workspaceId, ctx)
  }
  return ctx
}

type SendItem = {
  enrollment: ClaimedEnrollment
  drip: DripWithSteps
  position: number
  skipped: number[]
  sender: { settings: EmailSettings; credentials: Credentials }
  /** Set for an SMS step: the workspace's Twilio sender. */
  sms?: Exclude<SmsSender, { problem: string }>
}

async function runBatch(
  deps: DripRunnerDeps,
  args: { batch: ClaimedEnrollment[]; claimId: string; drips: Map<string, DripWithSteps>; segments: Map<string, import('../../domain/email/types').SegmentRule>; senders: Map<string, SenderContext>; smsSenders: Map<string, SmsSender>; now: Date; report: DripPassReport },
): Promise<void> {
  const { batch, claimId, drips, now, report } = args
  const settlements: Settlement[] = []
  const queue: SendItem[] = []
  const actions: SendItem[] = []
  const retryAt = new Date(now.getTime() + (deps.retryMs ?? 300_000))
  // Sends planned in this batch, by contact (the frequency cap counts them too).
  const batchSends = new Map<string, Date[]>()
  const stepIdsOf = (d: DripWithSteps, positions: number[]) => positions.flatMap((p) => (d.steps[p] ? [{ workspaceId: d.drip.workspaceId, sequenceId: d.drip.id, stepId: d.steps[p]!.id }] : []))

  for (const enrollment of batch) {
    const drip = drips.get(enrollment.sequenceId)
    if (!drip) {
      // Activated after this pass loaded its drips: look again next pass.
      settlements.push({ id: enrollment.id, claimId, status: 'active', stepPosition: enrollment.stepPosition, nextDueAt: enrollment.nextDueAt, endReason: null, skipped: [] })
      continue
    }
    const sender = await senderFor(deps, args.senders, enrollment.workspaceId)
    if ('problem' in sender) {
      settlements.push({ id: enrollment.id, claimId, status: 'active', stepPosition: enrollment.stepPosition, nextDueAt: retryAt, endReason: sender.problem, skipped: [] })
      report.deferred++
      continue
    }
    const c = enrollment.contact
    const decision = decideDue({
      drip: toDripDef(drip),
      steps: drip.steps.map(toStepDef),
      now,
      cap: sender.settings.frequencyCap ?? null,
      segments: (id) => args.segments.get(segmentRuleKey(enrollment.workspaceId, id)),
      enrollment: {
        id: enrollment.id,
        stepPosition: enrollment.stepPosition,
        startedAt: enrollment.startedAt,
        mailable: c.status === 'subscribed' && !enrollment.suppressed,
        suppressed: enrollment.suppressed,
        recentSends: [...enrollment.recentSends, ...(batchSends.get(c.id) ?? [])],
        activity: enrollment.activity,
        contact: {
          ...c,
          score: decayedScore({ stored: { score: c.leadScore, at: c.leadScoreAt }, now, halfLifeDays: sender.settings.scoreHalfLifeDays ?? null }),
          activity: enrollment.activity,
        },
      },
    })
    report.skipped += decision.skipped.length
    if (decision.action === 'send' && drip.steps[decision.position]?.content.action) {
      actions.push({ enrollment, drip, position: decision.position, skipped: decision.skipped, sender })
    } else if (decision.action === 'send' && drip.steps[decision.position]?.content.sms) {
      // An SMS step (decision 081): no phone, consent or an opted-out number skips it with the reason; no SMS set-up waits.
      let smsSender = args.smsSenders.get(enrollment.workspaceId)
      if (!smsSender) args.smsSenders.set(enrollment.workspaceId, (smsSender = await smsSenderFor(deps, { workspaceId: enrollment.workspaceId })))
      const step = drip.steps[decision.position]!
      const reason = smsSkipReason({ phone: c.phone, smsConsentAt: c.smsConsentAt, smsSuppressed: enrollment.smsSuppressed })
      if ('problem' in smsSender) {
        report.deferred++
        settlements.push({ id: enrollment.id, claimId, status: 'active', stepPosition: decision.position, nextDueAt: retryAt, endReason: smsSender.problem, skipped: stepIdsOf(drip, decision.skipped) })
      } else if (reason) {
        report.skipped++
        const advance = afterSend({ drip: toDripDef(drip), steps: drip.steps.map(toStepDef), position: decision.position, sentAt: now, enrolledAt: enrollment.startedAt, contactTimezone: c.timezone })
        settlements.push({
          id: enrollment.id,
          claimId,
          status: advance.status,
          stepPosition: advance.position,
          nextDueAt: advance.nextDueAt,
          endReason: advance.status === 'completed' ? 'all steps done' : null,
          skipped: [...stepIdsOf(drip, decision.skipped), { workspaceId: drip.drip.workspaceId, sequenceId: drip.drip.id, stepId: step.id, reason }],
        })
      } else {
        queue.push({ enrollment, drip, position: decision.position, skipped: decision.skipped, sender, sms: smsSender })
        if (sender.settings.frequencyCap) batchSends.set(c.id, [...(batchSends.get(c.id) ?? []), now])
      }
    } else if (decision.action === 'send') {
      queue.push({ enrollment, drip, position: decision.position, skipped: decision.skipped, sender })
      if (sender.settings.frequencyCap) batchSends.set(c.id, [...(batchSends.get(c.id) ?? []), now])
    } else if (decision.action === 'defer') {
      report.deferred++
      settlements.push({ id: enrollment.id, claimId, status: 'active', stepPosition: decision.position, nextDueAt: decision.at, endReason: null, skipped: stepIdsOf(drip, decision.skipped) })
    } else {
      report.ended++
      settlements.push({ id: enrollment.id, claimId, status: decision.status, stepPosition: decision.position, nextDueAt: null, endReason: decision.reason, skipped: stepIdsOf(drip, decision.skipped) })
    }
  }
  await settleEnrollments(deps.db, { items: settlements, now })
  // Steps skipped on the way to a send (rare: only drips with conditions).
  await insertSkippedDeliveries(deps.db, {
    now,
    rows: [...actions, ...queue].flatMap((q) => stepIdsOf(q.drip, q.skipped).map((s) => ({ ...s, enrollmentId: q.enrollment.id }))),
  })
  for (const item of actions) await runAction(deps, { item, claimId, report })
  if (queue.length === 0) return
  await sendQueue(deps, { queue, claimId, report, retryAt })
}

async function sendQueue(deps: DripRunnerDeps, args: { queue: SendItem[]; claimId: string; report: DripPassReport; retryAt: Date }): Promise<void> {
  const { queue, claimId, report } = args
  const { db, clock } = deps
  const late: Settlement[] = []
  let record: SendRecord | null = null
  const render = (item: SendItem): ChannelContent | ConnectorError => {
    const step = item.drip.steps[item.position]!
    const e = item.enrollment
    try {
      if (step.content.sms) {
        const body = renderTemplate(step.content.sms.text, { scope: { contact: contactScope(e.contact) }, output: (v) => v }).trim()
        return { parts: [], sms: { to: e.contact.phone ?? '', body, statusCallback: deps.smsStatusUrl?.(e.workspaceId) } }
      }
      const email = deps.compose({
        settings: item.sender.settings,
        contact: e.contact,
        template: step.content.email ?? { subject: step.content.parts[0]?.text.slice(0, 80) ?? '', markdown: step.content.parts.map((p) => p.text).join('\n\n') },
        claims: { workspaceId: e.workspaceId, contactId: e.contactId, sequenceId: e.sequenceId, enrollmentId: e.id, stepId: step.id },
        utm: item.drip.drip.shortLinks ? { source: 'email', medium: 'email', campaign: campaignSlug(item.drip.drip.name), content: stepContent(item.position) } : undefined,
      })
      return { parts: [], email }
    } catch (error) {
      // A template that cannot be rendered for this contact (a limit reached): that send fails, the batch goes on.
      if (error instanceof TemplateError) return new ConnectorError('invalid-content', `template: ${error.message}`)
      throw error
    }
  }
  let nextMessage = render(queue[0]!)
  let stopAt = queue.length
  const started = performance.now()
  const leaseMs = deps.leaseMs ?? 120_000
  let leaseSpent = false
  for (let i = 0; i < stopAt; i++) {
    // Never send on a claim that may have expired: past 80% of the lease (wall time), give the rest back.
    if (performance.now() - started > leaseMs * 0.8) {
      stopAt = i
      leaseSpent = true
      break
    }
    if (i > 0 && i % 50 === 0) await deps.heartbeat?.()
    const item = queue[i]!
    const e = item.enrollment
    const step = item.drip.steps[item.position]!
    const message = nextMessage
    const attemptId = randomUUID()
    const at = clock.now()
    const marking = recordAndMark(db, {
      record,
      mark: { workspaceId: e.workspaceId, sequenceId: e.sequenceId, stepId: step.id, enrollmentId: e.id, contactId: e.contactId, claimId, attemptId, dueAt: e.nextDueAt, at, ...(item.sms ? { channel: 'sms' as const } : {}) },
    })
    // Render the next message while the database works on this statement.
    if (i + 1 < stopAt) nextMessage = render(queue[i + 1]!)
    const mark = await marking
    record = null
    const skippedSteps = item.skipped.flatMap((p) => (item.drip.steps[p] ? [{ workspaceId: e.workspaceId, sequenceId: e.sequenceId, stepId: item.drip.steps[p]!.id }] : []))
    const advance = afterSend({ drip: toDripDef(item.drip), steps: item.drip.steps.map(toStepDef), position: item.position, sentAt: at, enrolledAt: e.startedAt, contactTimezone: e.contact.timezone })
    if (!mark || mark.deliveryId === null) {
      if (mark && mark.alreadySettled) {
        // Sent before (a re-claimed enrollment whose delivery was recorded): just move on.
        late.push({ id: e.id, claimId, status: advance.status, stepPosition: advance.position, nextDueAt: advance.nextDueAt, endReason: null, skipped: skippedSteps })
      } else if (mark && !mark.alreadySettled && mark.blocked.enrollmentActive && mark.blocked.smsBlocked && mark.blocked.status === 'subscribed' && !mark.blocked.suppressed) {
        // An SMS step whose contact opted out of SMS (or lost phone or consent) since the claim: skipped, the enrollment goes on.
        report.skipped++
        late.push({ id: e.id, claimId, status: advance.status, stepPosition: advance.position, nextDueAt: advance.nextDueAt, endReason: advance.status === 'completed' ? 'all steps done' : null, skipped: [...skippedSteps, { workspaceId: e.workspaceId, sequenceId: e.sequenceId, stepId: step.id, reason: 'no SMS consent or opted out of SMS' }] })
      } else if (mark && !mark.alreadySettled && mark.blocked.enrollmentActive) {
        // Unsubscribed or suppressed since the claim: nothing is sent, the enrollment ends.
        report.blocked++
        const status = mark.blocked.suppressed || mark.blocked.status === 'unsubscribed' ? 'unsubscribed' : 'exited'
        late.push({ id: e.id, claimId, status, stepPosition: item.position, nextDueAt: null, endReason: mark.blocked.suppressed ? 'suppressed' : `contact is ${mark.blocked.status}`, skipped: skippedSteps })
      } else report.blocked++
      continue
    }
    const base = { deliveryId: mark.deliveryId, attemptId, claimId, enrollmentId: e.id, workspaceId: e.workspaceId, sequenceId: e.sequenceId, stepId: step.id, contactId: e.contactId }
    try {
      if (message instanceof ConnectorError) throw message
      let result
      if (item.sms) {
        if (!deps.sms) throw new ConnectorError('disconnected', 'the SMS connector is not configured')
        result = await deps.sms.publish({ credentials: item.sms.credentials, idempotencyKey: `${e.id}:${step.id}`, content: message })
        smsSent.inc()
      } else {
        result = await deps.email.publish({ credentials: item.sender.credentials, idempotencyKey: `${e.id}:${step.id}`, content: message })
        emailsSent.inc()
      }
      const done = clock.now()
      report.sent++
      record = { ...base, state: 'published', remoteId: result.remoteId, lastError: null, lastErrorKind: null, status: advance.status, stepPosition: advance.position, nextDueAt: advance.nextDueAt, endReason: advance.status === 'completed' ? 'all steps done' : null, sentKey: `sent:${e.id}:${step.id}`, at: done }
    } catch (error) {
      const done = clock.now()
      const err = error instanceof ConnectorError ? error : new ConnectorError('unknown-outcome', (error as Error).message)
      // What the failure means is decided in domain/drip/failure.ts; here it is recorded.
      const refused = item.sms ? smsRecipientRefusal(err) : null
      const outcome = decideSendFailure({ kind: err.kind, message: err.message, hardBounce: isEmailBounce(error), refused, position: item.position, next: advance, retryAt: args.retryAt })
      report.failed++
      if (outcome.suppress && refused === 'opted_out' && e.contact.phone) {
        const phone = e.contact.phone
        await db.transaction(async (tx) => {
          await suppressPhone(tx, { workspaceId: e.workspaceId, phone, reason: 'carrier_opt_out', detail: err.message.slice(0, 300), at: done })
          await insertContactEvent(tx, { workspaceId: e.workspaceId, contactId: e.contactId, type: 'sms_opted_out', properties: { source: 'twilio', code: err.detail?.code ?? null }, sequenceId: e.sequenceId, enrollmentId: e.id, stepId: step.id, occurredAt: done })
        })
      }
      if (outcome.suppress && isEmailBounce(error)) {
        await db.transaction(async (tx) => {
          await suppressAddress(tx, { workspaceId: e.workspaceId, email: e.contact.email, reason: 'hard_bounce', detail: error.smtpResponse, at: done })
          await insertContactEvent(tx, { workspaceId: e.workspaceId, contactId: e.contactId, type: 'bounced', properties: { source: 'smtp', response: error.smtpResponse }, sequenceId: e.sequenceId, enrollmentId: e.id, stepId: step.id, occurredAt: done })
        })
        emailBounces.inc({ source: 'smtp' })
      }
      const { enrollment } = outcome
      record = {
        ...base,
        state: outcome.delivery.state,
        remoteId: null,
        lastError: err.message,
        lastErrorKind: outcome.delivery.errorKind,
        status: enrollment.status,
        stepPosition: enrollment.position,
        nextDueAt: enrollment.nextDueAt,
        endReason: enrollment.endReason,
        sentKey: outcome.countAsSent ? `sent:${e.id}:${step.id}` : null,
        at: done,
      }
      if (outcome.stopBatch) stopAt = i + 1
    }
  }
  await recordAndMark(db, { record, mark: null })
  if (late.length) await settleEnrollments(db, { items: late, now: clock.now() })
  // Given back: at once when the lease ran out, after the retry delay when SMTP failed.
  if (stopAt < queue.length) await releaseClaims(db, { claimId, retryAt: leaseSpent ? clock.now() : args.retryAt })
}

/** One action step: mark its delivery (the same statement as an email's), run it, record it (core/drips/actions.server.ts). */
async function runAction(deps: DripRunnerDeps, args: { item: SendItem; claimId: string; report: DripPassReport }): Promise<void> {
  const { item, claimId, report } = args
  const { db, clock } = deps
  const e = item.enrollment
  const step = item.drip.steps[item.position]!
  const attemptId = randomUUID()
  const mark = await recordAndMark(db, {
    record: null,
    mark: { workspaceId: e.workspaceId, sequenceId: e.sequenceId, stepId: step.id, enrollmentId: e.id, contactId: e.contactId, claimId, attemptId, dueAt: e.nextDueAt, at: clock.now() },
  })
  const skipped = item.skipped.flatMap((p) => (item.drip.steps[p] ? [{ workspaceId: e.workspaceId, sequenceId: e.sequenceId, stepId: item.drip.steps[p]!.id }] : []))
  const advance = afterSend({ drip: toDripDef(item.drip), steps: item.drip.steps.map(toStepDef), position: item.position, sentAt: clock.now(), enrolledAt: e.startedAt, contactTimezone: e.contact.timezone })
  if (!mark || mark.deliveryId === null) {
    // Done before a crash (recorded): move on. Blocked since the claim: end as an email step would.
    if (mark?.alreadySettled) {
      await settleEnrollments(db, { items: [{ id: e.id, claimId, status: advance.status, stepPosition: advance.position, nextDueAt: advance.nextDueAt, endReason: null, skipped }], now: clock.now() })
    } else if (mark && mark.blocked.enrollmentActive) {
      report.blocked++
      const status = mark.blocked.suppressed || mark.blocked.status === 'unsubscribed' ? 'unsubscribed' : 'exited'
      await settleEnrollments(db, { items: [{ id: e.id, claimId, status, stepPosition: item.position, nextDueAt: null, endReason: mark.blocked.suppressed ? 'suppressed' : `contact is ${mark.blocked.status}`, skipped }], now: clock.now() })
    } else report.blocked++
    return
  }
  const actionItem: ActionItem = { enrollment: e, drip: item.drip, position: item.position, halfLifeDays: item.sender.settings.scoreHalfLifeDays ?? null }
  const outcome = await runActionStep(
    { db, clock, webhook: deps.webhook ?? { fetch: webhookGuard().fetch } },
    {
      item: actionItem,
      attemptId,
      deliveryId: mark.deliveryId,
      record: { deliveryId: mark.deliveryId, attemptId, claimId, enrollmentId: e.id, workspaceId: e.workspaceId, sequenceId: e.sequenceId, stepId: step.id, contactId: e.contactId, status: advance.status, stepPosition: advance.position, nextDueAt: advance.nextDueAt, endReason: advance.status === 'completed' ? 'all steps done' : null, sentKey: null },
    },
  )
  if (outcome.state === 'published') report.actions++
  else report.failed++
}

const guards = new Map<boolean, NetGuard>()
/** The webhook steps' guard: private and loopback addresses refused unless ALLOW_PRIVATE_NETWORK_HOSTS. */
function webhookGuard(allowPrivateNetworkHosts = false): NetGuard {
  let g = guards.get(allowPrivateNetworkHosts)
  if (!g) guards.set(allowPrivateNetworkHosts, (g = createNetGuard({ allowPrivateNetworkHosts })))
  return g
}

function toDripDef(d: DripWithSteps): DripDef {
  return { id: d.drip.id, status: d.drip.status, timezone: d.drip.timezone, settings: d.drip.settings }
}

function toStepDef(s: DripWithSteps['steps'][number]): StepDef {
  return { id: s.id, position: s.position, settings: s.settings }
}

/** The runner's dependencies from the process's services (the registry's pooled SMTP connector, signed links). */
export function dripRunnerDeps(services: Services, overrides: Partial<DripRunnerDeps> = {}): DripRunnerDeps {
  return {
    db: services.database.db,
    clock: services.clock,
    keyring: services.keyring,
    email: overrides.email ?? emailConnector(services),
    sms: services.connectors?.sms,
    smsStatusUrl: (workspaceId) => smsWebhookUrls(services, workspaceId).statusUrl,
    compose: (args) => composeEmail(services, { ...args, tracked: true }),
    webhook: { fetch: webhookGuard(services.config.ALLOW_PRIVATE_NETWORK_HOSTS === true).fetch },
    ...overrides,
  }
}
