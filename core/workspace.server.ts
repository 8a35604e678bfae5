import { signUpInvited, type InvitedSignUpInput } from './users.server'
import { acceptInvitation, findOpenInvitation, insertInvitation, listOpenInvitations, revokeInvitation } from '../db/queries/invitations'
import { getUserById } from '../db/queries/users'
import { countOwners, getMember, getMembershipOfUser, getWorkspace, listMembers, listWorkspacesOfUser, removeMember, setMemberRole, updateWorkspace } from '../db/queries/workspaces'
import type { Role } from '../domain/roles'
import { recordAuditEvent } from './audit.server'
import { hashSecret, newSecret } from './secrets'
import type { Services } from './services.server'

/** The workspace itself, its members and their invitations, and the workspaces a user belongs to. */

export { ROLES, roleAtLeast, type Role } from '../domain/roles'

export async function loadWorkspace(services: Services, args: { workspaceId: string }) {
  return getWorkspace(services.database.db, args)
}

/** Rename the workspace or change its time zone; returns the workspace as saved. Audited (what changed, from what). */
export async function updateWorkspaceSettings(services: Services, args: { workspaceId: string; actorUserId: string; name?: string; timezone?: string }) {
  const db = services.database.db
  const before = await getWorkspace(db, { workspaceId: args.workspaceId })
  const saved = await updateWorkspace(db, { workspaceId: args.workspaceId, name: args.name, timezone: args.timezone })
  const detail: Record<string, string> = {}
  if (before && saved) {
    if (before.name !== saved.name) Object.assign(detail, { nameFrom: before.name, nameTo: saved.name })
    if (before.timezone !== saved.timezone) Object.assign(detail, { timezoneFrom: before.timezone, timezoneTo: saved.timezone })
  }
  if (Object.keys(detail).length > 0) {
    await recordAuditEvent(services, { workspaceIds: args.workspaceId, kind: 'workspace.updated', actorUserId: args.actorUserId, target: { type: 'workspace', id: args.workspaceId }, detail })
  }
  return saved
}

/** The API's `/me`: the token's user and its workspace. */
export async function loadUserAndWorkspace(services: Services, args: { userId: string; workspaceId: string }) {
  const db = services.database.db
  const [user, workspace] = await Promise.all([getUserById(db, { userId: args.userId }), getWorkspace(db, { workspaceId: args.workspaceId })])
  return { user, workspace }
}

/** The workspaces a user belongs to, oldest membership first. */
export async function listUserWorkspaces(services: Services, args: { userId: string }) {
  return listWorkspacesOfUser(services.database.db, args)
}

/** The user's membership of a workspace, or null when they are not a member. */
export async function findUserMembership(services: Services, args: { workspaceId: string; userId: string }) {
  return getMembershipOfUser(services.database.db, args)
}

export async function listWorkspaceMembers(services: Services, args: { workspaceId: string }) {
  return listMembers(services.database.db, args)
}

export async function findWorkspaceMember(services: Services, args: { workspaceId: string; membershipId: string }) {
  return getMember(services.database.db, args)
}

export type WorkspaceMember = NonNullable<Awaited<ReturnType<typeof findWorkspaceMember>>>

export type MemberChange = { intent: 'remove' } | { intent: 'change-role'; role: Role }

/**
 * Remove a member or change their role. A workspace keeps at least one owner: taking the last owner's
 * role away is refused (`last-owner`). `no-member` when the membership is not in the workspace.
 */
export async function changeMember(
  services: Services,
  args: { workspaceId: string; membershipId: string; change: MemberChange; actorUserId: string },
): Promise<{ ok: true; member: WorkspaceMember } | { ok: false; problem: 'no-member' | 'last-owner' }> {
  const db = services.database.db
  const { workspaceId, change } = args
  const member = await getMember(db, { workspaceId, membershipId: args.membershipId })
  if (!member) return { ok: false, problem: 'no-member' }
  const losesOwner = member.role === 'owner' && (change.intent === 'remove' || change.role !== 'owner')
  if (losesOwner && (await countOwners(db, { workspaceId })) <= 1) return { ok: false, problem: 'last-owner' }
  if (change.intent === 'remove') await removeMember(db, { workspaceId, membershipId: member.id })
  else await setMemberRole(db, { workspaceId, membershipId: member.id, role: change.role })
  if (change.intent === 'remove' || change.role !== member.role) {
    await recordAuditEvent(services, {
      workspaceIds: workspaceId,
      kind: change.intent === 'remove' ? 'member.removed' : 'member.role-changed',
      actorUserId: args.actorUserId,
      target: { type: 'user', id: member.userId },
      detail: change.intent === 'remove' ? { email: member.email, role: member.role } : { email: member.email, roleFrom: member.role, roleTo: change.role },
    })
  }
  return { ok: true, member }
}

export const INVITATION_TTL_MS = 7 * 24 * 60 * 60 * 1000

/** Create an invitation link; the token is in the returned path only, the table keeps its sha256. */
export async function issueInvitation(services: Services, args: { workspaceId: string; role: Role; createdByUserId: string }) {
  const token = newSecret()
  const expiresAt = new Date(services.clock.now().getTime() + INVITATION_TTL_MS)
  const invitation = await insertInvitation(services.database.db, { ...args, tokenHash: hashSecret(token), expiresAt })
  await recordAuditEvent(services, {
    workspaceIds: args.workspaceId,
    kind: 'member.invited',
    actorUserId: args.createdByUserId,
    target: { type: 'invitation', id: invitation.id },
    detail: { role: args.role },
  })
  return { path: `/invite/${token}`, url: new URL(`/invite/${token}`, services.config.APP_URL).toString(), expiresAt }
}

/** Invitations of the workspace that can still be accepted, newest first. */
export async function listWorkspaceInvitations(services: Services, args: { workspaceId: string }) {
  return listOpenInvitations(services.database.db, { workspaceId: args.workspaceId, now: services.clock.now() })
}

/** Revoke an open invitation; false when there is no open one with that id in the workspace. */
export async function revokeWorkspaceInvitation(services: Services, args: { workspaceId: string; invitationId: string; actorUserId: string }): Promise<boolean> {
  const revoked = await revokeInvitation(services.database.db, { workspaceId: args.workspaceId, invitationId: args.invitationId, at: services.clock.now() })
  if (revoked) {
    await recordAuditEvent(services, { workspaceIds: args.workspaceId, kind: 'invitation.revoked', actorUserId: args.actorUserId, target: { type: 'invitation', id: args.invitationId } })
  }
  return revoked
}

/** The open invitation a link's token (as its sha256) names, or null. The token is what names the workspace. */
export async function findInvitation(services: Services, args: { tokenHash: string }) {
  return findOpenInvitation(services.database.db, { tokenHash: args.tokenHash, now: services.clock.now() })
}

/**
 * Sign up through an invitation: the new user joins the inviting workspace and gets no workspace of their
 * own. Throws EmailTakenError or InvitationGoneError (then nothing is written).
 */
export async function signUpAndJoin(services: Services, args: { input: InvitedSignUpInput; tokenHash: string }) {
  const { user, joined } = await signUpInvited(services, args)
  await recordAuditEvent(services, { workspaceIds: joined.workspaceId, kind: 'invitation.accepted', actorUserId: user.id, target: { type: 'user', id: user.id }, detail: { role: joined.role } })
  return { user, workspaceId: joined.workspaceId, role: joined.role }
}

/** Use an invitation once and make the user a member; null when the link is used, revoked, expired or unknown. */
export async function joinWorkspace(services: Services, args: { tokenHash: string; userId: string }) {
  const joined = await acceptInvitation(services.database.db, { ...args, now: services.clock.now() })
  if (joined) {
    await recordAuditEvent(services, { workspaceIds: joined.workspaceId, kind: 'invitation.accepted', actorUserId: args.userId, target: { type: 'user', id: args.userId }, detail: { role: joined.role } })
  }
  return joined
}
