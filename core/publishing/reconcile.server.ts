import { markMissed } from '../../db/queries/deliveries-publish'
import { earlierRoundPublishedAt, findExpiredLeases, findLookupsDue, findStalledDeliveries, nextReconcileWork, settleExpiredLease, settleLookup } from '../../db/queries/deliveries-reconcile'
import { foldPostSlotChanges } from '../../db/queries/series-analytics'
import { decideExpiredLease, decideLookup, isTooLate } from '../../domain/delivery'
import { contentForNetwork } from '../../domain/series/variants'
import { applyShortLinks } from '../links/short-links.server'
import { pipelineOptions, type PipelineDeps, type PublishTarget } from './publish.server'

/**
 * How often a worker runs a pass while it publishes (jobs/reconcile-deliveries.ts); with the lease it
 * bounds how soon a killed worker's claim is recovered. With nothing publishing a worker sleeps until
 * the next instant a pass could find work (`nextReconcileAt`), at most DEFAULT_RECONCILE_SWEEP_MS (decision 109).
 */
export const DEFAULT_RECONCILE_EVERY_MS = 10_000
/** The longest a worker goes without a pass: the safety sweep that covers a wake-up that never came (decision 109). */
export const DEFAULT_RECONCILE_SWEEP_MS = 2 * 60_000
/** A pending delivery this far past its time without a claim has lost its job. */
export const DEFAULT_STALL_GRACE_MS = 15_000
const BATCH = 200
/** Posts created this long before the claim cannot be ours; the margin covers clock skew between hosts. */
const LOOKUP_SKEW_MS = 5 * 60_000

export type ReconcileReport = {
  requeued: number
  needsReview: number
  failed: number
  lookedUp: number
  foundPublished: number
  reenqueued: number
  missed: number
  enqueueErrors: number
  /** Slot-change folds that failed (decision 116): retried by the next pass; readers add what is not folded. */
  foldErrors: number
}

export type ReconcileDeps = PipelineDeps & { stallGraceMs?: number }

/**
 * When a pass could next find work, as the database stands now: the earliest lease to run out, lookup to
 * come due, or pending delivery to count as stalled (its time + the stall grace). Null: none at all (a
 * delivery planned or claimed later brings its own wake-up; the safety sweep covers a lost one).
 */
export async function nextReconcileAt(deps: ReconcileDeps): Promise<Date | null> {
  return nextReconcileWork(deps.db, { graceMs: deps.stallGraceMs ?? DEFAULT_STALL_GRACE_MS })
}

/**
 * One pass of the safety net (docs/decisions/007-publishing-pipeline.md): recover expired claims,
 * reconcile unknown outcomes through the connector's lookup, and re-enqueue or miss pending deliveries
 * whose job went missing. Safe to run in several workers at once: every write is conditional.
 */
export async function reconcileDeliveries(deps: ReconcileDeps): Promise<ReconcileReport> {
  const options = pipelineOptions(deps)
  const { db, clock } = deps
  // A failed enqueue is retried by a later pass (the row stays due); it must not stop this one.
  const schedule = async (args: { workspaceId: string; deliveryId: string; runAt: Date }) => {
    try {
      await deps.scheduler.schedule(args)
      return true
    } catch {
      report.enqueueErrors++
      return false
    }
  }
  const report: ReconcileReport = { requeued: 0, needsReview: 0, failed: 0, lookedUp: 0, foundPublished: 0, reenqueued: 0, missed: 0, enqueueErrors: 0, foldErrors: 0 }
  const targets = new Map<string, Promise<PublishTarget | null>>()
  // Email deliveries (no account) never hold a lease or a pending lookup; null keeps them out anyway.
  const targetOf = async (workspaceId: string, accountId: string | null) => {
    if (!accountId) return null
    const key = `${workspaceId}/${accountId}`
    let target = targets.get(key)
    if (!target) {
      target = deps.resolveTarget({ workspaceId, accountId, posts: 0 }).catch(() => null)
      targets.set(key, target)
    }
    return target
  }

  for (const delivery of await findExpiredLeases(db, { now: clock.now(), limit: BATCH })) {
    if (!delivery.attemptId) continue
    const now = clock.now()
    const target = delivery.sendingAt ? await targetOf(delivery.workspaceId, delivery.accountId) : null
    const outcome = decideExpiredLease({ sendingAt: delivery.sendingAt, attempts: delivery.attempts, maxAttempts: options.maxAttempts, canLookup: !!target?.connector.lookup, now })
    const settled = await settleExpiredLease(db, {
      deliveryId: delivery.id,
      attemptId: delivery.attemptId,
      now,
      outcome: {
        state: outcome.state,
        nextAttemptAt: outcome.state === 'queued' ? outcome.at : outcome.state === 'needs_review' ? outcome.lookupAt : null,
        lastError:
          outcome.state === 'failed'
            ? outcome.reason
            : outcome.state === 'queued'
              ? 'the worker stopped before sending'
              : 'the worker stopped while publishing: outcome unknown',
        lastErrorKind: outcome.state === 'needs_review' ? 'unknown-outcome' : 'interrupted',
      },
    })
    if (!settled) continue
    if (outcome.state === 'queued') {
      report.requeued++
      await schedule({ workspaceId: delivery.workspaceId, deliveryId: delivery.id, runAt: outcome.at })
    } else if (outcome.state === 'needs_review') report.needsReview++
    else report.failed++
  }

  for (const { delivery, content: stored } of await findLookupsDue(db, { now: clock.now(), limit: BATCH })) {
    const target = await targetOf(delivery.workspaceId, delivery.accountId)
    // What this account's network was sent: its variant of the post when it has one (decision 098).
    const content = target ? contentForNetwork(stored, target.connector.kind) : stored
    const lookup = target?.connector.lookup?.bind(target.connector)
    if (!target || !lookup) {
      // No way to look it up (or the account cannot be reached): a person decides.
      await settleLookup(db, {
        deliveryId: delivery.id,
        version: delivery.version,
        now: clock.now(),
        outcome: { state: 'needs_review', nextAttemptAt: null, lastError: target ? 'outcome unknown; this network offers no lookup' : 'outcome unknown; the account cannot be reached' },
      })
      continue
    }
    // A network whose listing lags (a cache) is not asked before the attempt is old enough to show in it.
    const settledAt = new Date((delivery.sendingAt ?? delivery.claimedAt ?? delivery.dueAt).getTime() + (target.connector.lookupSettleMs ?? 0))
    if (settledAt > clock.now()) {
      await settleLookup(db, {
        deliveryId: delivery.id,
        version: delivery.version,
        now: clock.now(),
        outcome: { state: 'needs_review', nextAttemptAt: settledAt, lastError: `outcome unknown; ${target.connector.displayName} is asked once its listing shows posts this recent` },
      })
      continue
    }
    report.lookedUp++
    // Never before an earlier round's post of an evergreen series (the same text): that one is not this round's (decision 107).
    const earlier = await earlierRoundPublishedAt(db, { delivery })
    const since = new Date(Math.max((delivery.claimedAt ?? delivery.dueAt).getTime() - LOOKUP_SKEW_MS, earlier ? earlier.getTime() + 1 : -Infinity))
    let found: Awaited<ReturnType<typeof lookup>>
    try {
      // Parts of a thread recorded earlier may be older than `since`: the lookup looks for the rest after them.
      const known = delivery.remotePartIds?.length ? { partIds: delivery.remotePartIds } : undefined
      // The text as published: its links were rewritten to the delivery's short links (the same codes).
      const published = await applyShortLinks(db, {
        appUrl: deps.appUrl,
        workspaceId: delivery.workspaceId,
        deliveryId: delivery.id,
        content: { parts: content.parts.map((p) => ({ text: p.text })) },
        connector: target.connector,
        clock,
      })
      found = await lookup({ credentials: target.credentials, content: { parts: published.parts }, idempotencyKey: delivery.id, since, known })
    } catch (error) {
      const retryAt = new Date(clock.now().getTime() + options.lookupDelayMs)
      await settleLookup(db, {
        deliveryId: delivery.id,
        version: delivery.version,
        now: clock.now(),
        outcome: { state: 'needs_review', nextAttemptAt: retryAt, lastError: `lookup failed: ${error instanceof Error ? error.message : String(error)}` },
      })
      continue
    }
    const now = clock.now()
    const parts = content.parts.length
    const outcome = decideLookup({
      found,
      known: delivery.remotePartIds?.length ? { partIds: delivery.remotePartIds, url: delivery.remoteUrl } : undefined,
      parts,
      attempts: delivery.attempts,
      maxAttempts: options.maxAttempts,
      now,
    })
    const thread = outcome.state === 'published' ? undefined : { partIds: outcome.partIds, url: outcome.url }
    const settled = await settleLookup(db, {
      deliveryId: delivery.id,
      version: delivery.version,
      now,
      outcome:
        outcome.state === 'published'
          ? outcome
          : outcome.state === 'queued'
            ? {
                state: 'queued',
                nextAttemptAt: outcome.at,
                lastError: outcome.partIds.length
                  ? `lookup found ${outcome.partIds.length} of ${parts} posts of the thread: continuing after them`
                  : 'lookup found no post: publishing again',
                thread,
              }
            : { state: 'failed', nextAttemptAt: null, lastError: outcome.reason, thread },
    })
    if (!settled) continue
    if (outcome.state === 'published') report.foundPublished++
    else if (outcome.state === 'queued') {
      report.requeued++
      await schedule({ workspaceId: delivery.workspaceId, deliveryId: delivery.id, runAt: outcome.at })
    } else if (outcome.state === 'failed') report.failed++
  }

  const now = clock.now()
  for (const stalled of await findStalledDeliveries(db, { now, graceMs: deps.stallGraceMs ?? DEFAULT_STALL_GRACE_MS, limit: BATCH })) {
    if (stalled.attempts === 0 && isTooLate({ dueAt: stalled.dueAt, maxLatenessSeconds: stalled.maxLatenessSeconds, now })) {
      if (await markMissed(db, { workspaceId: stalled.workspaceId, deliveryId: stalled.id, version: stalled.version, now })) report.missed++
      continue
    }
    if (await schedule({ workspaceId: stalled.workspaceId, deliveryId: stalled.id, runAt: now })) report.reenqueued++
  }
  // The slot changes the publishes since the last pass appended (decision 116). Readers add the changes not yet
  // folded, so a failed fold (a series deleted meanwhile) only waits for the next pass.
  await foldPostSlotChanges(db).catch(() => report.foldErrors++)
  return report
}
