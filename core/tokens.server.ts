import type { Db } from '../db/client'
import { findActiveApiToken, getApiToken, insertApiToken, listApiTokens, revokeApiToken, touchApiToken } from '../db/queries/tokens'
import type { Role } from '../domain/roles'
import { recordAuditEvent } from './audit.server'
import { hashSecret, newSecret } from './secrets'
import type { Services } from './services.server'

/** API tokens as members see them: owners see and revoke every token of the workspace, others only their own. */

/** Every API token starts with this, so leaked tokens are easy to recognise (and to scan for). */
export const API_TOKEN_PREFIX = 'trk_'

/** Create an API token; the secret is returned once and only its sha256 is stored. */
export async function issueApiToken(db: Db, args: { workspaceId: string; userId: string; name: string }) {
  const token = `${API_TOKEN_PREFIX}${newSecret()}`
  const row = await insertApiToken(db, { ...args, tokenHash: hashSecret(token), prefix: token.slice(0, API_TOKEN_PREFIX.length + 6) })
  return { token, id: row.id }
}

/**
 * A member creates an API token for themselves (settings page), or the operator for someone (CLI,
 * `by: 'operator'`, no actor); audited as `token.created`. The secret is returned once.
 */
export async function createApiToken(services: Pick<Services, 'database' | 'clock'> & { logger?: Services['logger'] }, args: { workspaceId: string; userId: string; name: string; by?: 'user' | 'operator' }) {
  const created = await issueApiToken(services.database.db, { workspaceId: args.workspaceId, userId: args.userId, name: args.name })
  await recordAuditEvent(services, {
    workspaceIds: args.workspaceId,
    kind: 'token.created',
    actorUserId: args.by === 'operator' ? null : args.userId,
    target: { type: 'api-token', id: created.id },
    detail: { name: args.name, owner: args.userId, by: args.by ?? 'user' },
  })
  return created
}

/**
 * The workspace, user and current role a presented token stands for, or null when it is unknown or
 * revoked or its user left the workspace. Records the use (`lastUsedAt`).
 */
export async function authenticateApiToken(services: Services, args: { token: string }): Promise<{ tokenId: string; workspaceId: string; userId: string; role: Role } | null> {
  const db = services.database.db
  const found = await findActiveApiToken(db, { tokenHash: hashSecret(args.token) })
  if (!found) return null
  await touchApiToken(db, { workspaceId: found.workspaceId, tokenId: found.tokenId, at: services.clock.now() })
  return found
}

export type TokenViewer = { userId: string; role: Role }

export async function listVisibleApiTokens(services: Services, args: { workspaceId: string; viewer: TokenViewer }) {
  return listApiTokens(services.database.db, { workspaceId: args.workspaceId, userId: args.viewer.role === 'owner' ? undefined : args.viewer.userId })
}

/** A token of the workspace this member may see, or null (another member's token is as absent as an unknown one). */
export async function findVisibleApiToken(services: Services, args: { workspaceId: string; tokenId: string; viewer: TokenViewer }) {
  const token = await getApiToken(services.database.db, { workspaceId: args.workspaceId, tokenId: args.tokenId })
  if (!token || (args.viewer.role !== 'owner' && token.userId !== args.viewer.userId)) return null
  return token
}

export type VisibleApiToken = NonNullable<Awaited<ReturnType<typeof findVisibleApiToken>>>

/** Revoke a token this member may see (revoking twice keeps the first time); the token as it is now, or null when not visible. */
export async function revokeVisibleApiToken(services: Services, args: { workspaceId: string; tokenId: string; viewer: TokenViewer }): Promise<VisibleApiToken | null> {
  const token = await findVisibleApiToken(services, args)
  if (!token) return null
  const db = services.database.db
  if (await revokeApiToken(db, { workspaceId: args.workspaceId, tokenId: token.id, at: services.clock.now() })) {
    await recordAuditEvent(services, {
      workspaceIds: args.workspaceId,
      kind: 'token.revoked',
      actorUserId: args.viewer.userId,
      target: { type: 'api-token', id: token.id },
      detail: { name: token.name, owner: token.userId },
    })
  }
  return getApiToken(db, { workspaceId: args.workspaceId, tokenId: token.id })
}
