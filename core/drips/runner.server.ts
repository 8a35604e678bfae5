import { randomUUID } from 'node:crypto'
import type { Db } from '../../db/client'
import { getAccountCredentials } from '../../db/queries/accounts'
import { getEmailSettings } from '../../db/queries/contacts'
import { loadActiveDrips, loadSegmentRules, segmentRuleKey, type DripWithSteps } from '../../db/queries/drips'
import { claimDueEnrollments, insertSkippedDeliveries, settleEnrollments, type ClaimedEnrollment, type Settlement } from '../../db/queries/enrollments'
import type { Keyring } from '../../db/vault'
import { afterSend, decideDue } from '../../domain/drip/runner'
import { decayedScore } from '../../domain/email/score'
import type { SegmentRule } from '../../domain/email/types'
import type { Services } from '../services.server'
import { composeEmail, emailConnector } from '../email.server'
import { smsWebhookUrls } from '../sms.server'
import { sendQueue } from './send-queue.server'
import { runAction, webhookGuard } from './steps/action.server'
import { sendKindOf } from './steps/kinds.server'
import { skippedStepRefs, toDripDef, toStepDefs } from './steps/shared'
import type { DripPassReport, DripRunnerDeps, EmailSender, SendItem } from './steps/types'
import { receivesMarketing } from '../../domain/email/contact'

export type { ComposeEmail, DripPassReport, DripRunnerDeps } from './steps/types'

/**
 * The drip runner (docs/decisions/016-drip-engine.md): one recurring job (plus a wake-up after
 * enrollments) walks due enrollments in batches — no Agenda job per recipient. Per batch: one claim
 * statement (joins contacts, suppressions, recent sends, activity), decisions in memory, one
 * statement for all non-send outcomes, then the sends (./send-queue.server.ts): email in a window of
 * messages whose outcomes are group-committed by statements that also mark the next ones `publishing`
 * after re-checking the suppression list and the contact's status (decisions 099, 113); SMS and direct
 * mail one at a time (016). So at most the send window per worker is ever handed over without its
 * outcome recorded: a SIGKILL re-sends at most that many, loses none.
 * What differs by channel (email, SMS, direct mail) is a step kind in ./steps/; action steps run
 * through ./steps/action.server.ts.
 */

type SenderContext = EmailSender | { problem: string }

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
  const channelCache = new Map<string, unknown>()
  let cursor: { at: Date; id: string } | null = null
  // The budget is wall time (a fixed test clock must not make a pass endless).
  const wallStart = performance.now()
  for (;;) {
    if (performance.now() - wallStart > (deps.passBudgetMs ?? 60_000)) break
    if (report.batches > 0) await deps.heartbeat?.()
    const now = clock.now()
    const claimId = randomUUID()
    const claimedAt = performance.now()
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
    await deps.afterClaim?.(batch)
    report.batches++
    report.claimed += batch.length
    const last = batch[batch.length - 1]!
    cursor = { at: last.nextDueAt, id: last.id }
    await runBatch(deps, { batch, claimId, claimedAt, drips, segments, senders, channelCache, now, report })
  }
  return report
}

function needsActivity(d: DripWithSteps): boolean {
  return (d.drip.settings.goals?.length ?? 0) > 0 || d.steps.some((s) => !!s.settings.condition || s.content.action?.type === 'wait_until')
}

async function senderFor(deps: { db: Db; keyring: Keyring }, senders: Map<string, SenderContext>, workspaceId: string): Promise<SenderContext> {
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

async function runBatch(
  deps: DripRunnerDeps,
  args: { batch: ClaimedEnrollment[]; claimId: string; claimedAt: number; drips: Map<string, DripWithSteps>; segments: Map<string, SegmentRule>; senders: Map<string, SenderContext>; channelCache: Map<string, unknown>; now: Date; report: DripPassReport },
): Promise<void> {
  const { batch, claimId, drips, now, report } = args
  const settlements: Settlement[] = []
  const queue: SendItem[] = []
  const actions: Array<Omit<SendItem, 'channel'>> = []
  const retryAt = new Date(now.getTime() + (deps.retryMs ?? 300_000))
  // Sends planned in this batch, by contact (the frequency cap counts them too).
  const batchSends = new Map<string, Date[]>()

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
      steps: toStepDefs(drip),
      now,
      cap: sender.settings.frequencyCap ?? null,
      segments: (id) => args.segments.get(segmentRuleKey(enrollment.workspaceId, id)),
      enrollment: {
        id: enrollment.id,
        stepPosition: enrollment.stepPosition,
        startedAt: enrollment.startedAt,
        mailable: receivesMarketing({ status: c.status, suppressed: enrollment.suppressed }),
        suppressed: enrollment.suppressed,
        complained: enrollment.complained,
        suppressionReason: enrollment.suppressionReason,
        waitingSince: enrollment.waitingSince,
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
    if (decision.action === 'send') {
      const step = drip.steps[decision.position]!
      const planned = { enrollment, drip, position: decision.position, skipped: decision.skipped, skipReasons: decision.reasons, note: decision.note, sender }
      if (step.content.action) {
        actions.push(planned)
        continue
      }
      // The step's channel decides: ready to send, wait for its set-up, or skip the step with the reason.
      const prepared = await sendKindOf(step).prepare(deps, { enrollment, step, sender, cache: args.channelCache })
      if ('wait' in prepared) {
        report.deferred++
        settlements.push({ id: enrollment.id, claimId, status: 'active', stepPosition: decision.position, nextDueAt: retryAt, endReason: prepared.wait, skipped: skippedStepRefs(drip, decision.skipped, decision.reasons) })
      } else if ('skip' in prepared) {
        report.skipped++
        const advance = afterSend({ drip: toDripDef(drip), steps: toStepDefs(drip), position: decision.position, sentAt: now, enrolledAt: enrollment.startedAt, contactTimezone: c.timezone })
        settlements.push({
          id: enrollment.id,
          claimId,
          status: advance.status,
          stepPosition: advance.position,
          nextDueAt: advance.nextDueAt,
          endReason: advance.status === 'completed' ? 'all steps done' : null,
          skipped: [...skippedStepRefs(drip, decision.skipped, decision.reasons), { workspaceId: drip.drip.workspaceId, sequenceId: drip.drip.id, stepId: step.id, reason: prepared.skip }],
        })
      } else {
        queue.push({ ...planned, channel: prepared.ready })
        if (sender.settings.frequencyCap) batchSends.set(c.id, [...(batchSends.get(c.id) ?? []), now])
      }
    } else if (decision.action === 'defer') {
      report.deferred++
      settlements.push({ id: enrollment.id, claimId, status: 'active', stepPosition: decision.position, nextDueAt: decision.at, endReason: null, skipped: skippedStepRefs(drip, decision.skipped, decision.reasons), waitingSince: decision.waitingSince })
    } else {
      report.ended++
      settlements.push({ id: enrollment.id, claimId, status: decision.status, stepPosition: decision.position, nextDueAt: null, endReason: decision.reason, skipped: skippedStepRefs(drip, decision.skipped, decision.reasons) })
    }
  }
  // Each with its wake count as claimed: a wake while this batch was decided keeps its enrollment due (decision 096).
  const wakes = new Map(batch.map((e) => [e.id, e.wakes]))
  await settleEnrollments(deps.db, { items: settlements.map((s) => ({ ...s, wakes: wakes.get(s.id) })), now })
  // Steps skipped on the way to a send (rare: only drips with conditions).
  await insertSkippedDeliveries(deps.db, {
    now,
    rows: [...actions, ...queue].flatMap((q) => skippedStepRefs(q.drip, q.skipped, q.skipReasons).map((s) => ({ ...s, enrollmentId: q.enrollment.id }))),
  })
  for (const item of actions) await runAction(deps, { item, claimId, report })
  if (queue.length === 0) return
  await sendQueue(deps, { queue, claimId, report, retryAt, claimedAt: args.claimedAt })
}

/** The runner's dependencies from the process's services (the registry's pooled SMTP connector, signed links). */
export function dripRunnerDeps(services: Services, overrides: Partial<DripRunnerDeps> = {}): DripRunnerDeps {
  return {
    db: services.database.db,
    clock: services.clock,
    keyring: services.keyring,
    email: overrides.email ?? emailConnector(services),
    sms: services.connectors?.sms,
    mail: services.connectors?.mail,
    smsStatusUrl: (workspaceId) => smsWebhookUrls(services, workspaceId).statusUrl,
    compose: (args) => composeEmail(services, { ...args, tracked: true }),
    webhook: { fetch: webhookGuard(services.config.ALLOW_PRIVATE_NETWORK_HOSTS === true).fetch },
    ...overrides,
  }
}
