import { AsyncLocalStorage } from 'node:async_hooks'
import { insertAuditEvents, listAuditEvents, listWorkspaceIdsOfUser, pruneAuditEvents, type AuditCursor } from '../db/queries/audit'
import { findUserByEmail } from '../db/queries/users'
import type { AccountEvent } from './account-events'
import type { Services } from './services.server'

/**
 * The owner-visible audit log (ASVS V16; docs/decisions/068-audit-log-and-trust-proxy.md). Use cases
 * record what a workspace's owners should be able to look back on: log-ins, second-factor and password
 * changes (through `Services.onAccountEvent`), API tokens, members and invitations, connected accounts,
 * settings, and requests refused because they named something outside the workspace.
 *
 * What is kept: the kind, who did it, what it was done to (type and id), the client's address and
 * User-Agent (cut), and a small `detail` of scalars that `cleanDetail` lets through: never a password,
 * code, token, secret or query string. Recording never breaks the use case: a failure is logged.
 */

/** Every kind of event, with the words the settings page shows for it. */
export const AUDIT_KINDS = {
  'login.succeeded': 'Logged in',
  'login.failed': 'Log-in failed',
  'login.throttled': 'Log-in refused (too many failures)',
  'password.changed': 'Password changed',
  'password.reset-requested': 'Password reset requested',
  'mfa.enabled': 'Two-factor authentication turned on',
  'mfa.disabled': 'Two-factor authentication turned off',
  'mfa.recovery-codes-renewed': 'Recovery codes renewed',
  'mfa.recovery-code-used': 'Recovery code used to log in',
  'token.created': 'API token created',
  'token.revoked': 'API token revoked',
  'member.invited': 'Invitation created',
  'invitation.revoked': 'Invitation revoked',
  'invitation.accepted': 'Invitation accepted',
  'member.role-changed': 'Member role changed',
  'member.removed': 'Member removed',
  'account.connected': 'Account connected',
  'account.reconnected': 'Account reconnected',
  'account.disconnected': 'Account disconnected',
  'workspace.updated': 'Workspace settings changed',
  'notifications.updated': 'Notification settings changed',
  'dkim.updated': 'DKIM key for the email sender set',
  'dkim.removed': 'DKIM key for the email sender removed',
  'score-rule.created': 'Score rule added',
  'score-rule.changed': 'Score rule changed',
  'score-rule.removed': 'Score rule removed',
  'access.refused': 'Request refused: not in this workspace',
} as const

export type AuditKind = keyof typeof AUDIT_KINDS

export function isAuditKind(value: string): value is AuditKind {
  return Object.hasOwn(AUDIT_KINDS, value)
}

/** The client a request came from (the address Express settled on under TRUST_PROXY). */
export type AuditClient = { ip: string | null; userAgent: string | null }

export type AuditDetail = Record<string, string | number | boolean | null>

export type AuditEventInput = {
  kind: AuditKind
  actorUserId: string | null
  target?: { type: string; id: string } | null
  /** Defaults to the current request's client (`runAuditedRequest`); null outside a request (jobs, CLI). */
  client?: AuditClient | null
  detail?: AuditDetail
}

const USER_AGENT_MAX = 256
const DETAIL_STRING_MAX = 200
/** Detail keys that could hold a secret are dropped whatever their value (the logger's redaction, as an allow-by-default filter). */
const SECRET_KEY = /pass|token|secret|credential|cookie|authori|code|hash|key|otp/i

/** Scalars only; secret-looking keys dropped; strings without control characters, query strings or fragments, and cut. */
export function cleanDetail(detail: Record<string, unknown> | undefined): AuditDetail {
  const out: AuditDetail = {}
  for (const [key, value] of Object.entries(detail ?? {})) {
    if (SECRET_KEY.test(key)) continue
    if (typeof value === 'number' || typeof value === 'boolean' || value === null) out[key] = value
    else if (typeof value === 'string') out[key] = cleanText(value.replace(/[?#].*$/s, ''), DETAIL_STRING_MAX)
  }
  return out
}

function cleanText(value: string, max: number): string {
  // eslint-disable-next-line no-control-regex
  return value.replace(/[\u0000-\u001f\u007f]/g, ' ').slice(0, max)
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/** A request path as the log keeps it: no query string, and any segment that is not an id or a word (a token in a link) hidden. */
export function cleanPath(pathname: string): string {
  return pathname
    .split('/')
    .map((segment) => (segment === '' || UUID.test(segment) || /^[a-z][a-z0-9._-]{0,31}$/i.test(segment) ? segment : ':hidden'))
    .join('/')
}

type AuditServices = Pick<Services, 'database' | 'clock'> & { logger?: Services['logger'] }

/** Record one event in one or more workspaces (an account's events go to each workspace its user is in). */
export async function recordAuditEvent(services: AuditServices, args: AuditEventInput & { workspaceIds: string | string[] }): Promise<void> {
  const workspaceIds = [...new Set(typeof args.workspaceIds === 'string' ? [args.workspaceIds] : args.workspaceIds)]
  if (workspaceIds.length === 0) return
  const client = args.client === undefined ? (currentRequest()?.client ?? null) : args.client
  const at = services.clock.now()
  try {
    await insertAuditEvents(
      services.database.db,
      workspaceIds.map((workspaceId) => ({
        workspaceId,
        actorUserId: args.actorUserId,
        kind: args.kind,
        targetType: args.target?.type ?? null,
        targetId: args.target?.id ?? null,
        ip: client?.ip ? cleanText(client.ip, 64) : null,
        userAgent: client?.userAgent ? cleanText(client.userAgent, USER_AGENT_MAX) : null,
        detail: cleanDetail(args.detail),
        at,
      })),
    )
  } catch (error) {
    services.logger?.error({ err: error, audit: args.kind }, 'audit event not recorded')
  }
}

/**
 * The `onAccountEvent` listener that writes account events to the audit log of every workspace the
 * user is a member of. Failed and throttled log-ins of an email nobody has are in the server log only
 * (there is no workspace to show them to); of a known email, they go to that user's workspaces with no
 * actor (nobody proved to be them) and the user as the target.
 */
export async function auditAccountEvent(event: AccountEvent, services: AuditServices): Promise<void> {
  const db = services.database.db
  const client = 'ip' in event ? { ip: event.ip, userAgent: currentRequest()?.client.userAgent ?? null } : undefined
  if (event.type === 'login-failed' || event.type === 'login-throttled') {
    const user = await findUserByEmail(db, { email: event.email })
    if (!user) return
    const detail: AuditDetail = event.type === 'login-failed' ? { reason: event.reason } : { waitSeconds: Math.ceil(event.waitMs / 1000) }
    const kind = event.type === 'login-failed' ? 'login.failed' : 'login.throttled'
    await recordAuditEvent(services, { workspaceIds: await listWorkspaceIdsOfUser(db, { userId: user.id }), kind, actorUserId: null, target: { type: 'user', id: user.id }, client, detail })
    return
  }
  const { kind, detail, actor } = accountEventEntry(event)
  const workspaceIds = await listWorkspaceIdsOfUser(db, { userId: event.userId })
  await recordAuditEvent(services, { workspaceIds, kind, actorUserId: actor ? event.userId : null, target: { type: 'user', id: event.userId }, client, detail })
}

function accountEventEntry(event: Exclude<AccountEvent, { type: 'login-failed' | 'login-throttled' }>): { kind: AuditKind; detail: AuditDetail; actor: boolean } {
  switch (event.type) {
    case 'login-succeeded':
      return { kind: 'login.succeeded', detail: { secondFactor: event.secondFactor }, actor: true }
    case 'password-changed':
      // A reset link proves the mailbox, not the person; the operator's CLI is nobody in the workspace.
      return { kind: 'password.changed', detail: { by: event.by, sessionsEnded: event.sessionsEnded }, actor: event.by === 'user' }
    case 'password-reset-requested':
      return { kind: 'password.reset-requested', detail: { mailed: event.mailed }, actor: false }
    case 'totp-enabled':
      return { kind: 'mfa.enabled', detail: {}, actor: true }
    case 'totp-disabled':
      return { kind: 'mfa.disabled', detail: { by: event.by }, actor: event.by === 'user' }
    case 'recovery-codes-renewed':
      return { kind: 'mfa.recovery-codes-renewed', detail: {}, actor: true }
    case 'recovery-code-used':
      return { kind: 'mfa.recovery-code-used', detail: { remaining: event.remaining }, actor: true }
  }
}

export const AUDIT_PAGE_SIZE = 50

/** A cursor as the page's "older" link carries it: `<epoch ms>.<id>`. */
export function encodeAuditCursor(cursor: AuditCursor): string {
  return `${cursor.at.getTime()}.${cursor.id}`
}

export function decodeAuditCursor(value: string | null | undefined): AuditCursor | undefined {
  const match = /^(\d{1,15})\.(\d{1,15})$/.exec(value ?? '')
  return match ? { at: new Date(Number(match[1])), id: Number(match[2]) } : undefined
}

/** One page of the workspace's audit log, newest first, and the cursor of the next (older) page. */
export async function listWorkspaceAuditEvents(
  services: Pick<Services, 'database'>,
  args: { workspaceId: string; kind?: string; actorUserId?: string; before?: string | null; limit?: number },
) {
  const limit = Math.min(Math.max(args.limit ?? AUDIT_PAGE_SIZE, 1), 200)
  const rows = await listAuditEvents(services.database.db, {
    workspaceId: args.workspaceId,
    kind: args.kind && isAuditKind(args.kind) ? args.kind : undefined,
    actorUserId: args.actorUserId && UUID.test(args.actorUserId) ? args.actorUserId : undefined,
    before: decodeAuditCursor(args.before),
    limit: limit + 1,
  })
  const page = rows.slice(0, limit)
  const last = page.at(-1)
  return { events: page, older: rows.length > limit && last ? encodeAuditCursor({ at: last.at, id: last.id }) : null }
}

/** Delete events older than AUDIT_RETENTION_DAYS; how many. */
export async function pruneOldAuditEvents(services: Pick<Services, 'database' | 'clock' | 'config'>): Promise<number> {
  const before = new Date(services.clock.now().getTime() - services.config.AUDIT_RETENTION_DAYS * 24 * 60 * 60 * 1000)
  return pruneAuditEvents(services.database.db, { before })
}

// ---------------------------------------------------------------------------------------------------
// The request being answered: its client, who is asking, and whether a lookup was refused.

/**
 * What the web layer knows about the request being answered. `requester` is set by the member and API
 * token checks; `refused` by the helpers that answer 404 for something outside the workspace.
 */
export type AuditedRequest = {
  client: AuditClient
  method: string
  path: string
  requester?: { userId: string; workspaceId: string }
  refused?: { targetType: string | null }
}

// One store per process: the web server and the Remix build each hold a copy of this module.
const STORE_KEY = Symbol.for('trickle.audit.request')
function requestStore(): AsyncLocalStorage<AuditedRequest> {
  const holder = globalThis as { [STORE_KEY]?: AsyncLocalStorage<AuditedRequest> }
  holder[STORE_KEY] ??= new AsyncLocalStorage<AuditedRequest>()
  return holder[STORE_KEY]
}

function currentRequest(): AuditedRequest | undefined {
  return requestStore().getStore()
}

/** The member or token's user and workspace this request acts as (the requireMembership / requireApiAuth checks call this). */
export function noteRequester(requester: { userId: string; workspaceId: string }): void {
  const request = currentRequest()
  if (request) request.requester = requester
}

/** The request named something its workspace does not hold and is answered 404 (notFound, apiNotFound, a 404 InputError). */
export function noteRefusedLookup(targetType: string | null = null): void {
  const request = currentRequest()
  if (request && !request.refused) request.refused = { targetType }
}

/**
 * Answer a request with the audit context in place; when a member's or token's lookup was refused,
 * record `access.refused` in the requester's workspace (never in the workspace that may hold the id:
 * that would tell the asker, if an owner, that it exists). The target id is the last id in the path.
 */
export async function runAuditedRequest<T>(services: AuditServices, request: Omit<AuditedRequest, 'requester' | 'refused'>, answer: () => Promise<T>): Promise<T> {
  const record: AuditedRequest = { ...request, path: cleanPath(request.path) }
  try {
    return await requestStore().run(record, answer)
  } finally {
    if (record.refused && record.requester) {
      const segments = record.path.split('/')
      const at = segments.findLastIndex((s) => UUID.test(s))
      const targetId = at === -1 ? undefined : segments[at]
      // Pages name no type: the path segment before the id does (/app/series/<id> → series).
      const targetType = record.refused.targetType ?? (at > 0 ? segments[at - 1] : null) ?? 'unknown'
      services.logger?.warn({ security: { type: 'access-refused', ...record.requester, method: record.method, path: record.path, ip: record.client.ip } }, 'refused a request for something outside the workspace')
      await recordAuditEvent(services, {
        workspaceIds: record.requester.workspaceId,
        kind: 'access.refused',
        actorUserId: record.requester.userId,
        target: targetId ? { type: targetType, id: targetId } : null,
        client: record.client,
        detail: { method: record.method, path: record.path },
      })
    }
  }
}
