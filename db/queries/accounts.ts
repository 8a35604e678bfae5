import { randomUUID } from 'node:crypto'
import { and, asc, eq, inArray, sql } from 'drizzle-orm'
import { ConnectorError, type AccountLimits, type Connector, type Credentials } from '../../connectors/types'
import type { Clock } from '../../domain/clock'
import type { PostingSchedule } from '../../domain/queue/slots'
import type { Db, DbOrTx } from '../client'
import { accounts } from '../schema'
import { openCredentials, sealCredentials, type Keyring } from '../vault'
import { param, prepared } from './prepared'

export type AccountStatus = 'connected' | 'reconnect_needed' | 'disconnected'

/** What pages and jobs may see of an account: never the credentials. */
export type AccountSummary = {
  id: string
  workspaceId: string
  kind: string
  remoteAccountId: string
  handle: string
  displayName: string | null
  maxPostLength: number | null
  /** Media limits the network gave for this account when it was connected (decision 111); null: the network's defaults. */
  limits: AccountLimits | null
  expiresAt: Date | null
  status: AccountStatus
  statusReason: string | null
  createdAt: Date
  updatedAt: Date
}

const summaryColumns = {
  id: accounts.id,
  workspaceId: accounts.workspaceId,
  kind: accounts.kind,
  remoteAccountId: accounts.remoteAccountId,
  handle: accounts.handle,
  displayName: accounts.displayName,
  maxPostLength: accounts.maxPostLength,
  limits: accounts.limits,
  expiresAt: accounts.expiresAt,
  status: accounts.status,
  statusReason: accounts.statusReason,
  createdAt: accounts.createdAt,
  updatedAt: accounts.updatedAt,
}

function scoped(args: { workspaceId: string; accountId: string }) {
  return and(eq(accounts.workspaceId, args.workspaceId), eq(accounts.id, args.accountId))
}

/** Keep stored tokens where the new credentials carry an empty one (networks omit unchanged tokens). */
export function mergeCredentials(stored: Credentials, incoming: Credentials): Credentials {
  return {
    accessToken: incoming.accessToken || stored.accessToken,
    refreshToken: incoming.refreshToken || stored.refreshToken,
    expiresAt: incoming.accessToken ? incoming.expiresAt : stored.expiresAt,
    extra: { ...stored.extra, ...incoming.extra },
  }
}

/**
 * Connect an account, or reconnect it when the workspace already has it (same kind and remote id):
 * credentials are merged and the status goes back to `connected`.
 */
export async function connectAccount(
  db: Db,
  args: {
    workspaceId: string
    kind: string
    remoteAccountId: string
    handle: string
    displayName?: string
    maxPostLength?: number
    limits?: AccountLimits
    credentials: Credentials
    keyring: Keyring
    clock: Clock
  },
): Promise<AccountSummary> {
  if (!args.credentials.accessToken) throw new Error('credentials.accessToken: required to connect an account')
  return db.transaction(async (tx) => {
    const [existing] = await tx
      .select()
      .from(accounts)
      .where(
        and(
          eq(accounts.workspaceId, args.workspaceId),
          eq(accounts.kind, args.kind),
          eq(accounts.remoteAccountId, args.remoteAccountId),
        ),
      )
      .for('update')
    const profile = {
      handle: args.handle,
      displayName: args.displayName ?? null,
      maxPostLength: args.maxPostLength ?? null,
      limits: args.limits ?? null,
      status: 'connected' as const,
      statusReason: null,
      updatedAt: args.clock.now(),
    }
    if (existing) {
      const stored = openCredentials({ keyring: args.keyring, accountId: existing.id, ciphertext: existing.credentialsCiphertext })
      const credentials = mergeCredentials(stored, args.credentials)
      const sealed = sealCredentials({ keyring: args.keyring, accountId: existing.id, credentials })
      const [row] = await tx
        .update(accounts)
        .set({ ...profile, credentialsCiphertext: sealed.ciphertext, credentialsKeyVersion: sealed.keyVersion, expiresAt: credentials.expiresAt ?? null })
        .where(eq(accounts.id, existing.id))
        .returning(summaryColumns)
      return row as AccountSummary
    }
    const id = randomUUID()
    const sealed = sealCredentials({ keyring: args.keyring, accountId: id, credentials: args.credentials })
    const [row] = await tx
      .insert(accounts)
      .values({
        ...profile,
        id,
        workspaceId: args.workspaceId,
        kind: args.kind,
        remoteAccountId: args.remoteAccountId,
        credentialsCiphertext: sealed.ciphertext,
        credentialsKeyVersion: sealed.keyVersion,
        expiresAt: args.credentials.expiresAt ?? null,
        createdAt: args.clock.now(),
      })
      .returning(summaryColumns)
    return row as AccountSummary
  })
}

export async function listAccounts(db: DbOrTx, args: { workspaceId: string }): Promise<AccountSummary[]> {
  const rows = await db.select(summaryColumns).from(accounts).where(eq(accounts.workspaceId, args.workspaceId)).orderBy(asc(accounts.createdAt), asc(accounts.id))
  return rows as AccountSummary[]
}

export async function getAccount(db: DbOrTx, args: { workspaceId: string; accountId: string }): Promise<AccountSummary | null> {
  const [row] = await db.select(summaryColumns).from(accounts).where(scoped(args))
  return (row as AccountSummary | undefined) ?? null
}

/** The posting schedules (queues, decision 091) of these accounts of the workspace; an account without one is left out. */
export async function listPostingSchedules(db: DbOrTx, args: { workspaceId: string; accountIds: string[] }): Promise<Array<{ accountId: string; schedule: PostingSchedule }>> {
  if (args.accountIds.length === 0) return []
  const rows = await db
    .select({ accountId: accounts.id, schedule: accounts.postingSchedule })
    .from(accounts)
    .where(and(eq(accounts.workspaceId, args.workspaceId), inArray(accounts.id, args.accountIds)))
  return rows.flatMap((r) => (r.schedule ? [{ accountId: r.accountId, schedule: r.schedule }] : []))
}

/** Replace an account's posting schedule (null removes it). False when the workspace has no such account. */
export async function setPostingSchedule(db: DbOrTx, args: { workspaceId: string; accountId: string; schedule: PostingSchedule | null; clock: Clock }): Promise<boolean> {
  const rows = await db.update(accounts).set({ postingSchedule: args.schedule, updatedAt: args.clock.now() }).where(scoped(args)).returning({ id: accounts.id })
  return rows.length > 0
}

export async function getAccountCredentials(db: DbOrTx, args: { workspaceId: string; accountId: string; keyring: Keyring }): Promise<Credentials> {
  const [row] = await db.select({ ciphertext: accounts.credentialsCiphertext }).from(accounts).where(scoped(args))
  if (!row) throw new Error(`accountId: no account ${args.accountId} in this workspace`)
  return openCredentials({ keyring: args.keyring, accountId: args.accountId, ciphertext: row.ciphertext })
}

/** An account and its decrypted credentials in one read (the publish path: one statement, not two). */
export async function getAccountWithCredentials(
  db: DbOrTx,
  args: { workspaceId: string; accountId: string; keyring: Keyring },
): Promise<{ account: AccountSummary; credentials: Credentials } | null> {
  const query = prepared(db, 'getAccountWithCredentials', (d, name) =>
    d
      .select({ ...summaryColumns, ciphertext: accounts.credentialsCiphertext })
      .from(accounts)
      .where(and(eq(accounts.workspaceId, param('workspaceId')), eq(accounts.id, param('accountId'))))
      .prepare(name),
  )
  const [row] = await query.execute({ workspaceId: args.workspaceId, accountId: args.accountId })
  if (!row) return null
  const { ciphertext, ...account } = row
  return { account: account as AccountSummary, credentials: openCredentials({ keyring: args.keyring, accountId: args.accountId, ciphertext }) }
}

/** Store new credentials for an account; empty tokens never overwrite stored ones. */
export async function updateAccountCredentials(
  db: Db,
  args: { workspaceId: string; accountId: string; credentials: Credentials; keyring: Keyring; clock: Clock },
): Promise<Credentials> {
  return db.transaction((tx) => storeCredentials(tx, args))
}

/** Store new credentials inside a caller's transaction; empty tokens never overwrite stored ones. */
export async function storeCredentials(
  tx: DbOrTx,
  args: { workspaceId: string; accountId: string; credentials: Credentials; keyring: Keyring; clock: Clock },
): Promise<Credentials> {
  const [row] = await tx.select({ ciphertext: accounts.credentialsCiphertext }).from(accounts).where(scoped(args)).for('update')
  if (!row) throw new Error(`accountId: no account ${args.accountId} in this workspace`)
  const stored = openCredentials({ keyring: args.keyring, accountId: args.accountId, ciphertext: row.ciphertext })
  const credentials = mergeCredentials(stored, args.credentials)
  const sealed = sealCredentials({ keyring: args.keyring, accountId: args.accountId, credentials })
  await tx
    .update(accounts)
    .set({
      credentialsCiphertext: sealed.ciphertext,
      credentialsKeyVersion: sealed.keyVersion,
      expiresAt: credentials.expiresAt ?? null,
      updatedAt: args.clock.now(),
    })
    .where(scoped(args))
  return credentials
}

export async function setAccountStatus(
  db: DbOrTx,
  args: { workspaceId: string; accountId: string; status: AccountStatus; reason?: string; clock: Clock },
): Promise<void> {
  await db
    .update(accounts)
    .set({ status: args.status, statusReason: args.reason ?? null, updatedAt: args.clock.now() })
    .where(scoped(args))
}

export async function deleteAccount(db: DbOrTx, args: { workspaceId: string; accountId: string }): Promise<boolean> {
  const rows = await db.delete(accounts).where(scoped(args)).returning({ id: accounts.id })
  return rows.length > 0
}

/**
 * Lock an account's row for the rest of the transaction and open its credentials: the first half of a
 * single-flight refresh (core/credentials.server.ts). Null when there is no such account.
 */
export async function lockAccountCredentials(
  tx: DbOrTx,
  args: { workspaceId: string; accountId: string; keyring: Keyring },
): Promise<{ status: AccountStatus; credentials: Credentials } | null> {
  const [row] = await tx
    .select({ ciphertext: accounts.credentialsCiphertext, status: accounts.status })
    .from(accounts)
    .where(scoped(args))
    .for('update')
  if (!row) return null
  return { status: row.status as AccountStatus, credentials: openCredentials({ keyring: args.keyring, accountId: args.accountId, ciphertext: row.ciphertext }) }
}

const DAY_MS = 24 * 3600_000

/**
 * Count `posts` against the connector's daily quota before publishing them from an account: the app's
 * budget for the whole installation, and the share one workspace may use, so one workspace cannot spend
 * everyone's. Days are UTC days. Reservations of one kind are serialized across processes by an advisory
 * lock. A refusal is a `rate-limited` ConnectorError resetting at the next UTC midnight.
 */
export async function reservePostQuota(
  db: Db,
  args: { connector: Pick<Connector, 'kind' | 'quota'>; workspaceId: string; accountId: string; posts: number; clock: Clock },
): Promise<void> {
  const quota = args.connector.quota
  if (!quota) return
  const now = args.clock.now()
  const day = new Date(Math.floor(now.getTime() / DAY_MS) * DAY_MS)
  const resetAt = new Date(day.getTime() + DAY_MS)
  // Raw SQL parameters are not mapped by column type: pass the instant as text.
  const today = sql`${day.toISOString()}::timestamptz`
  const usedToday = sql<number>`coalesce(sum(case when ${accounts.usageDay} = ${today} then ${accounts.usageCount} else 0 end), 0)::int`
  await db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`trickle.quota.${args.connector.kind}`}))`)
    const [account] = await tx.select({ id: accounts.id }).from(accounts).where(scoped(args))
    if (!account) throw new Error(`accountId: no account ${args.accountId} in this workspace`)
    const [app] = await tx.select({ used: usedToday }).from(accounts).where(eq(accounts.kind, args.connector.kind))
    const [workspace] = await tx
      .select({ used: usedToday })
      .from(accounts)
      .where(and(eq(accounts.kind, args.connector.kind), eq(accounts.workspaceId, args.workspaceId)))
    if (Number(app!.used) + args.posts > quota.postsPerDay) {
      throw new ConnectorError('rate-limited', `The daily ${args.connector.kind} post budget of this installation is used up`, {
        resetAt,
        detail: { code: 'app-quota' },
      })
    }
    if (Number(workspace!.used) + args.posts > quota.postsPerDayPerWorkspace) {
      throw new ConnectorError('rate-limited', `This workspace has used its daily share of ${args.connector.kind} posts`, {
        resetAt,
        detail: { code: 'workspace-quota' },
      })
    }
    await tx
      .update(accounts)
      .set({
        usageDay: day,
        usageCount: sql`(case when ${accounts.usageDay} = ${today} then ${accounts.usageCount} else 0 end) + ${args.posts}`,
      })
      .where(scoped(args))
  })
}
