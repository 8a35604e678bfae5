import type { ChannelContent, Connector, Credentials, PublishResult } from '../../connectors/types'
import { isConnectorError } from '../../connectors/types'
import type { Db } from '../../db/client'
import { setAccountStatus } from '../../db/queries/accounts'
import type { DeliveryScheduler } from '../../db/queries/deliveries'
import { claimDelivery, claimDueBatch, claimDueDelivery, loadDeliveryForStart, type Claim, markMissed, markSending, recordAttemptOutcome, recordPublished } from '../../db/queries/deliveries-publish'
import type { Clock } from '../../domain/clock'
import { decideFailure, decideStart, reclassifyDuplicate, type FailureKind, type FailureOutcome } from '../../domain/delivery'
import { isVideoType } from '../../domain/media/video'
import { exponential, when, type RetryPolicy } from '../../domain/retry'
import { contentForNetwork } from '../../domain/series/variants'
import { applyShortLinks } from '../links/short-links.server'
import { loadChannelContent } from '../media.server'
import { publicMediaUrlFor, type PublicMediaConfig } from '../public-media.server'
import { publishedPosts, publishLagSeconds } from '../metrics.server'

/** What a publish needs to reach an account: its connector and current credentials. */
export type PublishTarget = { connector: Connector; credentials: Credentials }

export type HookContext = { deliveryId: string; attemptId: string }

/** Observers at the points a crash test kills a worker (test/pipeline). Production leaves them unset. */
export type PublishHooks = {
  afterClaim?(context: HookContext): void | Promise<void>
  beforeNetwork?(context: HookContext): void | Promise<void>
  afterNetworkSuccess?(context: HookContext): void | Promise<void>
  afterRecord?(context: HookContext): void | Promise<void>
}

export type PipelineOptions = {
  /** How long a claim lasts. Must exceed connectorTimeoutMs: a claim is never taken over while its network call can still be running. */
  leaseMs: number
  /** Upper bound of one network call (passed to the connector as an abort signal). */
  connectorTimeoutMs: number
  /**
   * The same two for a post with a video, which the network processes after the upload (decision 105):
   * the upload and the wait for processing run under one deadline, and the claim's lease is extended to
   * `videoLeaseMs` when the call starts. Same rule: the lease exceeds the deadline.
   */
  videoConnectorTimeoutMs: number
  videoLeaseMs: number
  /** Attempts (claims) after which a delivery that keeps being interrupted fails. */
  maxAttempts: number
  /** Backoff for failures where the request provably did not apply. */
  retry: RetryPolicy<FailureKind>
  /** How long after an unknown outcome the reconciler looks the post up. */
  lookupDelayMs: number
  random: () => number
}

export const DEFAULT_PIPELINE_OPTIONS: PipelineOptions = {
  // Timeout + 15 s: a claim whose worker died is recovered 45 s after it was taken; with a reconciler
  // pass every 10 s and a 1 s poll, a killed worker's post goes out within a minute of its claim (issue 23).
  leaseMs: 45_000,
  connectorTimeoutMs: 30_000,
  // X and Mastodon process a short clip in seconds to a minute or two; a worker killed meanwhile has its
  // video post recovered 5 min 15 s after the call started.
  videoConnectorTimeoutMs: 5 * 60_000,
  videoLeaseMs: 5 * 60_000 + 15_000,
  maxAttempts: 5,
  retry: when((kind: FailureKind) => kind === 'transient', exponential({ base: 30_000, max: 30 * 60_000, jitter: 0.2, maxRetries: 4 })),
  lookupDelayMs: 60_000,
  random: Math.random,
}

export type PipelineDeps = {
  db: Db
  clock: Clock
  /** The connector and current credentials of an account (see accountTargets in core/publishing/targets.server.ts). Throw a `disconnected` ConnectorError for an account that cannot publish. */
  resolveTarget(args: {
    workspaceId: string
    accountId: string
    /** Posts this attempt will create (thread parts), for quota accounting; a function of the account's network when the post has per-network variants. */
    posts: number | ((network: string) => number)
  }): Promise<PublishTarget>
  /**
   * Single-flight refresh across processes: core/credentials.server.ts refreshAccountCredentials. Without
   * it an `auth` error fails the delivery and marks the account for reconnection.
   */
  refreshCredentials?(args: { workspaceId: string; accountId: string; connector: Connector; staleAccessToken: string }): Promise<Credentials>
  /** Keeps jobs in step with rows (deliveryScheduler(agenda)). */
  scheduler: DeliveryScheduler
  options?: Partial<PipelineOptions>
  hooks?: PublishHooks
  /** DATA_DIR, where the media store keeps images (core/media.server.ts). Without it a post with images fails as `invalid-content`. */
  dataDir?: string
  /** APP_URL: a series with short links on publishes its links as `APP_URL/l/{code}` (decision 084). Without it links go out as written. */
  appUrl?: string
  /**
   * What the networks that fetch media from a URL are given (decision 111): the signing secret, the
   * public APP_URL and the environment (core/public-media.server.ts). Without it such a connector gets
   * no `publicMediaUrl` and refuses a post with media as `invalid-content`.
   */
  publicMedia?: PublicMediaConfig
}

export function pipelineOptions(deps: Pick<PipelineDeps, 'options'>): PipelineOptions {
  const options = { ...DEFAULT_PIPELINE_OPTIONS, ...deps.options }
  if (!(options.connectorTimeoutMs > 0)) throw new Error('options.connectorTimeoutMs: must be positive')
  if (!(options.leaseMs > options.connectorTimeoutMs + SEND_MARGIN_MS)) {
    throw new Error(`options.leaseMs: must exceed connectorTimeoutMs by more than ${SEND_MARGIN_MS} ms`)
  }
  if (!(options.videoConnectorTimeoutMs >= options.connectorTimeoutMs)) throw new Error('options.videoConnectorTimeoutMs: must be at least connectorTimeoutMs')
  if (!(options.videoLeaseMs > options.videoConnectorTimeoutMs + SEND_MARGIN_MS)) {
    throw new Error(`options.videoLeaseMs: must exceed videoConnectorTimeoutMs by more than ${SEND_MARGIN_MS} ms`)
  }
  return options
}

/** The deadline of one publish call and the lease that covers it: a post with a video gets the video pair. */
export function sendDeadline(options: PipelineOptions, content: ChannelContent): { timeoutMs: number; leaseMs: number } {
  const video = content.parts.some((part) => (part.media ?? []).some((item) => isVideoType(item.mimeType)))
  return video ? { timeoutMs: options.videoConnectorTimeoutMs, leaseMs: options.videoLeaseMs } : { timeoutMs: options.connectorTimeoutMs, leaseMs: options.leaseMs }
}

/** Slack for clock skew between workers: a claim this close to expiry is not used to send. */
const SEND_MARGIN_MS = 1_000

/** `onSending`: a network call starts now, under a lease of `leaseMs` (a publish job keeps its lock that long; decision 105). */
export type SendHooks = { onSending?(lease: { leaseMs: number }): void }

export type PublishRun =
  | { result: 'published' | 'failed' | 'needs_review' | 'missed' | 'ignored' | 'lost-claim' }
  /** The job should run again at `at` (a retry, or a delivery moved later). */
  | { result: 'queued' | 'waiting'; at: Date }

/**
 * Publish one delivery at most once. Every write after the claim is conditional on this attempt's id,
 * so a worker that stalled past its lease can neither publish nor record anything.
 */
export async function publishDelivery(
  deps: PipelineDeps,
  args: { workspaceId: string; deliveryId: string },
  run: SendHooks = {},
): Promise<PublishRun> {
  const options = pipelineOptions(deps)
  const { db, clock } = deps
  // The common case (due, pending, active, not too late) is claimed in one statement; anything else is
  // read and decided first (decision 087).
  const claim = (await claimDueDelivery(db, { ...args, now: clock.now(), leaseMs: options.leaseMs })) ?? (await decideAndClaim(deps, args, options))
  if (!('attemptId' in claim)) return claim
  return publishClaim(deps, args, options, claim, run)
}

export type BatchOptions = {
  /** Other due deliveries a run may claim besides its own (0: only its own, as publishDelivery). */
  batchSize: number
  /** The claimed deliveries besides the run's own: their jobs are no longer needed (a later `schedule` brings one back). Errors are ignored: such a job then runs and finds its delivery claimed or settled. */
  dropJobs?(deliveryIds: string[]): Promise<void>
}

/**
 * Publish the delivery `deliveryId` and, in the same claim statement, up to `batchSize` other due ones
 * (decision 106): one job-store job and one claim statement serve many deliveries when several are due.
 * Each claimed delivery is then published exactly as publishDelivery publishes it (its own attempt id,
 * lease, hooks and records); the others' outcomes that need a later run are scheduled through
 * `deps.scheduler`. Resolves to the run of `deliveryId` itself, once every delivery of the batch is settled.
 */
export async function publishDueBatch(deps: PipelineDeps, args: { workspaceId: string; deliveryId: string }, batch: BatchOptions, run: SendHooks = {}): Promise<PublishRun> {
  const started = await startDueBatch(deps, args, batch, run)
  const [own] = await Promise.allSettled([started.own, started.settled])
  if (own.status === 'rejected') throw own.reason
  return own.value
}

/** A batch under way (startDueBatch): its own delivery's run, and every sibling's. */
export type DueBatch = {
  /** The run of the job's own delivery. */
  own: Promise<PublishRun>
  /** One per sibling claimed with it; each resolves once that sibling is settled (never rejects). */
  siblings: Array<Promise<void>>
  /** Every delivery of the batch settled (never rejects; the own run's error is `own`'s). */
  settled: Promise<void>
}

/**
 * publishDueBatch, returning once the claim statement is done: the caller counts the siblings as they
 * settle (a worker's sibling slots, decision 112).
 */
export async function startDueBatch(deps: PipelineDeps, args: { workspaceId: string; deliveryId: string }, batch: BatchOptions, run: SendHooks = {}): Promise<DueBatch> {
  // A batch of one is publishDelivery itself (the claim without siblings, statement for statement).
  if (!(batch.batchSize > 0)) {
    const own = publishDelivery(deps, args, run)
    return { own, siblings: [], settled: own.then(() => {}, () => {}) }
  }
  const options = pipelineOptions(deps)
  const { db, clock } = deps
  const claims = await claimDueBatch(db, { ...args, now: clock.now(), leaseMs: options.leaseMs, limit: batch.batchSize })
  const own = claims.find((c) => c.delivery.id === args.deliveryId)
  const others = claims.filter((c) => c !== own)
  // The siblings' jobs go before any of them can be scheduled again (a retry), so a drop never removes a fresh schedule.
  const dropped = others.length && batch.dropJobs ? batch.dropJobs(others.map((c) => c.delivery.id)).catch(() => {}) : Promise.resolve()
  const sibling = async (claim: Claim) => {
    const ofClaim = { workspaceId: claim.delivery.workspaceId, deliveryId: claim.delivery.id }
    const outcome = await publishClaim(deps, ofClaim, options, claim, run)
    if (outcome.result === 'queued' || outcome.result === 'waiting') {
      await dropped
      // A failed schedule leaves a due, pending delivery without a job: the reconciler re-enqueues it.
      await deps.scheduler.schedule({ ...ofClaim, runAt: outcome.at }).catch(() => {})
    }
  }
  const ownRun = async (): Promise<PublishRun> => {
    if (own) return publishClaim(deps, args, options, own, run)
    const claim = await decideAndClaim(deps, args, options)
    return 'attemptId' in claim ? publishClaim(deps, args, options, claim, run) : claim
  }
  // A sibling that throws (a database error) keeps its claim until the lease runs out and the reconciler
  // recovers it, as a publish job that throws does: it does not fail the run of this job's own delivery.
  const ownOutcome = ownRun()
  const siblings = others.map((claim) => sibling(claim).catch(() => {}))
  const settled = Promise.allSettled([ownOutcome, ...siblings, dropped]).then(() => {})
  return { own: ownOutcome, siblings, settled }
}

/** Publish one claimed delivery (the rest of publishDelivery, also run for each delivery of a batch). */
async function publishClaim(deps: PipelineDeps, args: { workspaceId: string; deliveryId: string }, options: PipelineOptions, claim: Claim, run: SendHooks): Promise<PublishRun> {
  const { db, clock, hooks } = deps
  const { delivery } = claim
  // Only social deliveries (an account, not an enrollment) are ever claimed here.
  const accountId = delivery.accountId!
  const attempt = { deliveryId: delivery.id, attemptId: claim.attemptId }
  await hooks?.afterClaim?.(attempt)

  const decide = (kind: FailureKind, message: string, extra: { resetAt?: Date; refreshed: boolean; canLookup: boolean }) =>
    decideFailure({
      kind,
      message,
      attempts: claim.delivery.attempts,
      now: clock.now(),
      resetAt: extra.resetAt,
      refreshed: extra.refreshed,
      canRefresh: deps.refreshCredentials !== undefined,
      canLookup: extra.canLookup,
      lookupDelayMs: options.lookupDelayMs,
      retry: options.retry,
      random: options.random,
    })

  /** `thread`: what a thread that stopped part-way got to the network (the next attempt continues after it). */
  const record = async (kind: FailureKind, message: string, outcome: FailureOutcome, thread?: PublishResult): Promise<PublishRun> => {
    if (outcome.state === 'refresh') throw new Error('unreachable: a refresh is offered once, and only after sending')
    // The account is marked before the delivery settles, so whoever sees the failed delivery also sees
    // why (the network refused the account even after a refresh: true whoever holds the claim).
    if (outcome.state === 'failed' && outcome.reconnectAccount) {
      await setAccountStatus(db, { workspaceId: args.workspaceId, accountId, status: 'reconnect_needed', reason: message, clock })
    }
    const recorded = await recordAttemptOutcome(db, {
      ...attempt,
      now: clock.now(),
      outcome: {
        state: outcome.state,
        nextAttemptAt: outcome.state === 'queued' ? outcome.at : outcome.state === 'needs_review' ? outcome.lookupAt : null,
        lastError: outcome.state === 'failed' ? outcome.reason : message,
        lastErrorKind: kind,
        thread: thread?.partIds?.length ? { partIds: thread.partIds, url: thread.url ?? null } : undefined,
      },
    })
    if (!recorded) return { result: 'lost-claim' }
    return outcome.state === 'queued' ? { result: 'queued', at: outcome.at } : { result: outcome.state }
  }

  let target: PublishTarget
  try {
    target = await deps.resolveTarget({ workspaceId: args.workspaceId, accountId, posts: (network) => contentForNetwork(claim.content, network).parts.length })
    // Before markSending: a library load must not count against the send deadline.
    await target.connector.prepare?.()
  } catch (error) {
    // Nothing was sent: any failure here is safe to retry.
    const kind = isConnectorError(error) ? (error.kind === 'auth' ? 'disconnected' : error.kind) : 'transient'
    const outcome = decide(kind, errorMessage(error), { resetAt: isConnectorError(error) ? error.resetAt : undefined, refreshed: true, canLookup: false })
    return record(kind, errorMessage(error), outcome)
  }
  // The account's network gets its own variant of the post when it has one (decision 098).
  const picked = contentForNetwork(claim.content, target.connector.kind)
  // Images come from the media store now, not when the post was planned: an image deleted since fails
  // the delivery (nothing was sent) rather than publishing the post without it.
  const { content: stored, missing } = await loadChannelContent(db, { dataDir: deps.dataDir, workspaceId: args.workspaceId, content: picked })
  if (missing.length) {
    const message = `image ${missing.join(', ')} is not in the media store`
    return record('invalid-content', message, decide('invalid-content', message, { refreshed: true, canLookup: false }))
  }
  let content: typeof stored
  try {
    // Links become the delivery's short links here, in one place for every network (decision 084).
    content = await applyShortLinks(db, { appUrl: deps.appUrl, workspaceId: args.workspaceId, deliveryId: delivery.id, content: stored, connector: target.connector, clock })
  } catch (error) {
    // Nothing was sent yet: safe to retry.
    return record('transient', errorMessage(error), decide('transient', errorMessage(error), { refreshed: true, canLookup: false }))
  }
  const canLookup = typeof target.connector.lookup === 'function'
  // Parts of the thread an earlier attempt got to the network: continue after them, never post them again.
  const knownParts = claim.delivery.remotePartIds ?? []
  const resume = knownParts.length ? { partIds: knownParts } : undefined
  let credentials = target.credentials
  let refreshed = false
  const deadline = sendDeadline(options, content)
  const publicMediaUrl = deps.publicMedia ? publicMediaUrlFor({ config: deps.publicMedia, clock, workspaceId: args.workspaceId }) : undefined
  for (;;) {
    const now = clock.now()
    const sending = await markSending(db, {
      ...attempt,
      now,
      holdUntil: new Date(now.getTime() + SEND_MARGIN_MS),
      leaseUntil: new Date(now.getTime() + deadline.leaseMs),
    })
    if (!sending) return { result: 'lost-claim' }
    run.onSending?.({ leaseMs: deadline.leaseMs })
    // The deadline starts now, not when the request starts: a worker stalled past it never sends, so
    // nothing can go out after the lease (≥ now + timeout + margin) could have been taken over.
    const signal = AbortSignal.timeout(deadline.timeoutMs)
    await hooks?.beforeNetwork?.(attempt)
    let kind: FailureKind
    let message: string
    let resetAt: Date | undefined
    let thread: PublishResult | undefined
    if (signal.aborted) return record('transient', 'stalled before sending', decide('transient', 'stalled before sending', { refreshed: true, canLookup }))
    try {
      const result = await target.connector.publish({
        credentials,
        content,
        idempotencyKey: delivery.id,
        signal,
        resume,
        publicMediaUrl,
      })
      await hooks?.afterNetworkSuccess?.(attempt)
      const recorded = await recordPublished(db, {
        ...attempt,
        now: clock.now(),
        remoteId: result.remoteId,
        remoteUrl: result.url ?? null,
        partIds: result.partIds ?? [result.remoteId],
      })
      if (!recorded) return { result: 'lost-claim' }
      const network = target.connector.kind
      publishedPosts.inc({ network })
      publishLagSeconds.observe({ network }, Math.max(0, (clock.now().getTime() - claim.delivery.dueAt.getTime()) / 1000))
      await hooks?.afterRecord?.(attempt)
      return { result: 'published' }
    } catch (error) {
      // Anything but a classified connector error may have happened after the request went out.
      kind = isConnectorError(error) ? error.kind : 'unknown-outcome'
      message = errorMessage(error)
      resetAt = isConnectorError(error) ? error.resetAt : undefined
      thread = isConnectorError(error) ? error.partial : undefined
      // A duplicate refused on the first claim cannot be this delivery's own post (decision 107).
      ;({ kind, message } = reclassifyDuplicate({ kind, message, code: isConnectorError(error) ? error.detail?.code : undefined, attempts: claim.delivery.attempts, knownParts: knownParts.length }))
    }
    const outcome = decide(kind, message, { resetAt, refreshed, canLookup })
    if (outcome.state !== 'refresh' || !deps.refreshCredentials) return record(kind, message, outcome, thread)
    // `auth`: the request was rejected, so one refresh and one more send within this claim is safe.
    refreshed = true
    try {
      credentials = await deps.refreshCredentials({
        workspaceId: args.workspaceId,
        accountId,
        connector: target.connector,
        staleAccessToken: credentials.accessToken,
      })
    } catch (error) {
      const refreshKind: FailureKind = isConnectorError(error) ? (error.kind === 'disconnected' ? 'disconnected' : 'auth') : 'transient'
      return record(refreshKind, errorMessage(error), decide(refreshKind, errorMessage(error), { refreshed, canLookup }))
    }
  }
}

/** Read the delivery, decide with `decideStart`, and claim by version when it says so (what every publish did before decision 087). */
async function decideAndClaim(deps: PipelineDeps, args: { workspaceId: string; deliveryId: string }, options: PipelineOptions): Promise<Claim | PublishRun> {
  const { db, clock } = deps
  const view = await loadDeliveryForStart(db, args)
  if (!view) return { result: 'ignored' }
  const { delivery } = view
  // Email deliveries (an enrollment, not an account) are sent by the drip runner, never by this job.
  if (!delivery.accountId) return { result: 'ignored' }
  const start = decideStart({
    state: delivery.state,
    dueAt: delivery.dueAt,
    nextAttemptAt: delivery.nextAttemptAt,
    attempts: delivery.attempts,
    sequenceStatus: view.sequenceStatus,
    maxLatenessSeconds: view.maxLatenessSeconds,
    now: clock.now(),
  })
  if (start.action === 'ignore') return { result: 'ignored' }
  if (start.action === 'wait') return { result: 'waiting', at: start.at }
  if (start.action === 'miss') {
    return (await markMissed(db, { ...args, version: delivery.version, now: clock.now() })) ? { result: 'missed' } : { result: 'lost-claim' }
  }
  const claim = await claimDelivery(db, { ...args, version: delivery.version, now: clock.now(), leaseMs: options.leaseMs })
  return claim ?? { result: 'lost-claim' }
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}
