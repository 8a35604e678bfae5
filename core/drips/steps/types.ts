import type { ChannelContent, Connector, ConnectorError, Credentials, PublishResult } from '../../../connectors/types'
import type { Db } from '../../../db/client'
import type { EmailSettings } from '../../../db/queries/contacts'
import type { DripWithSteps } from '../../../db/queries/drips'
import type { ClaimedEnrollment } from '../../../db/queries/enrollments'
import type { Keyring } from '../../../db/vault'
import type { Clock } from '../../../domain/clock'
import type { LinkClaims } from '../../../domain/email/links'
import type { Utm } from '../../../domain/links/utm'
import type { WebhookOptions } from '../actions.server'

/**
 * The drip runner's parts (core/drips/runner.server.ts): its dependencies, its report, and the one small
 * interface every sending step kind (email, SMS, direct mail: core/drips/steps/) implements, so a new
 * channel is a module beside the others and the runner's claim / decide / mark / send / record core
 * does not grow.
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
  /** Direct-mail steps (decision 089): the registry's Lob connector; absent, mail steps wait. */
  mail?: Connector
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
  /**
   * Messages of a kind with `concurrentSends` (email) a worker may have handed over without their outcome
   * recorded: sent in groups, outcomes group-committed (decision 099). A SIGKILL re-sends at most this many,
   * each with its original's Message-ID. 1: one at a time, one statement per message (decision 016). Default 10.
   */
  sendWindow?: number
  /** Retry delay after an SMTP failure that provably sent nothing. Default 5 min. */
  retryMs?: number
  /** Webhook action steps: the guarded fetch, timeout and retries (core/drips/actions.server.ts). */
  webhook?: WebhookOptions
  /** Called before every batch after the first (the job handler touches its job lock: jobs/drip-runner.ts). */
  heartbeat?: () => Promise<void>
  /** Called right after each batch is claimed, before it is decided (tests stand for what happens meanwhile: an event arriving). */
  afterClaim?: (batch: ClaimedEnrollment[]) => unknown
}

export type DripPassReport = { batches: number; claimed: number; sent: number; /** Action steps done. */ actions: number; deferred: number; skipped: number; ended: number; blocked: number; failed: number }

/** The workspace's email settings and sender (frequency cap, score half-life, the email step's account). */
export type EmailSender = { settings: EmailSettings; credentials: Credentials }

/** What a step kind prepared for one send: the channel's credentials and whatever it needs to render. */
export type PreparedChannel = { kind: SendStepKind; credentials: Credentials; extra?: Record<string, unknown> }

/** One due step to send (or, for an action step, to run) for one enrollment. */
export type SendItem = {
  enrollment: ClaimedEnrollment
  drip: DripWithSteps
  position: number
  skipped: number[]
  /** Why steps in `skipped` were skipped on purpose, by position (decision 096). */
  skipReasons?: Record<number, string>
  /** A wait-until step whose wait timed out: recorded on its delivery. */
  note?: string
  sender: EmailSender
  channel: PreparedChannel
}

export type DripStep = DripWithSteps['steps'][number]

/** Before a send is queued: ready, wait (the channel is not set up: retry later), or skip the step with the reason. */
export type Preparation = { ready: PreparedChannel } | { wait: string } | { skip: string }

/** A failed send's meaning beyond its kind: the recipient refused for good. */
export type Refusal = { hardBounce: boolean; refused: 'opted_out' | 'invalid_number' | null }

/** One sending step kind. */
export interface SendStepKind {
  readonly name: 'email' | 'sms' | 'mail'
  /** The mark statement's extra check for this channel (db/queries/send-groups.ts `recordAndMarkGroup`). */
  readonly markChannel?: 'sms' | 'mail'
  /** Why a send whose mark failed only that channel check is skipped (the enrollment goes on). */
  readonly blockedReason?: string
  /** Several messages of this kind may be in flight at once, up to the runner's `sendWindow` (email); without, one at a time. */
  readonly concurrentSends?: boolean
  handles(step: DripStep): boolean
  /** Called in the batch's planning loop; `cache` lives for one pass (per-workspace senders). */
  prepare(deps: DripRunnerDeps, args: { enrollment: ClaimedEnrollment; step: DripStep; sender: EmailSender; cache: Map<string, unknown> }): Promise<Preparation>
  /** Render the message for one contact (a TemplateError fails that send only). */
  render(deps: DripRunnerDeps, item: SendItem): ChannelContent
  publish(deps: DripRunnerDeps, args: { item: SendItem; content: ChannelContent; idempotencyKey: string }): Promise<PublishResult>
  refusal?(error: unknown, err: ConnectorError): Refusal
  /** After a failure decided to suppress the recipient: record it (suppression list, event). */
  suppress?(deps: DripRunnerDeps, args: { item: SendItem; error: unknown; err: ConnectorError; refusal: Refusal; at: Date }): Promise<void>
}
