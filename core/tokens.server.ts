import { getApiToken, listApiTokens, revokeApiToken } from '../db/queries/tokens'
import type { Role } from '../domain/roles'
import type { Services } from './services.server'

/** API tokens as members see them: owners see and revoke every token of the workspace, others only their own. */

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
  await revokeApiToken(db, { workspaceId: args.workspaceId, tokenId: token.id, at: services.clock.now() })
  return getApiToken(db, { workspaceId: args.workspaceId, tokenId: token.id })
}
