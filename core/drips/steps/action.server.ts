import { randomUUID } from 'node:crypto'
import { createNetGuard, type NetGuard } from '../../../connectors/net-guard'
import { settleEnrollments } from '../../../db/queries/enrollments'
import { recordAndMark } from '../../../db/queries/send-groups'
import { afterSend } from '../../../domain/drip/runner'
import { runActionStep, type ActionItem } from '../actions.server'
import { skippedStepRefs, toDripDef, toStepDefs } from './shared'
import type { DripPassReport, DripRunnerDeps, SendItem } from './types'

/** One action step: mark its delivery (the same statement as an email's), run it, record it (core/drips/actions.server.ts). */
export async function runAction(deps: DripRunnerDeps, args: { item: Omit<SendItem, 'channel'>; claimId: string; report: DripPassReport }): Promise<void> {
  const { item, claimId, report } = args
  const { db, clock } = deps
  const e = item.enrollment
  const step = item.drip.steps[item.position]!
  const attemptId = randomUUID()
  const mark = await recordAndMark(db, {
    record: null,
    mark: { workspaceId: e.workspaceId, sequenceId: e.sequenceId, stepId: step.id, enrollmentId: e.id, contactId: e.contactId, claimId, attemptId, dueAt: e.nextDueAt, at: clock.now(), channel: 'action' },
  })
  const skipped = skippedStepRefs(item.drip, item.skipped)
  const advance = afterSend({ drip: toDripDef(item.drip), steps: toStepDefs(item.drip), position: item.position, sentAt: clock.now(), enrolledAt: e.startedAt, contactTimezone: e.contact.timezone })
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
  const actionItem: ActionItem = { enrollment: e, drip: item.drip, position: item.position, halfLifeDays: item.sender.settings.scoreHalfLifeDays ?? null, note: item.note, sender: item.sender }
  const outcome = await runActionStep(
    { db, clock, webhook: deps.webhook ?? { fetch: webhookGuard().fetch }, email: deps.email },
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
export function webhookGuard(allowPrivateNetworkHosts = false): NetGuard {
  let g = guards.get(allowPrivateNetworkHosts)
  if (!g) guards.set(allowPrivateNetworkHosts, (g = createNetGuard({ allowPrivateNetworkHosts })))
  return g
}
