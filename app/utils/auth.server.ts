import { hash, verify } from '@node-rs/argon2'
import { redirect } from '@remix-run/node'
import { z } from 'zod'
import { findUserByEmail, getUserById, insertUser } from '../../db/queries/users'
import { createWorkspace, getMembershipOfUser, getWorkspace, listWorkspacesOfUser } from '../../db/queries/workspaces'
import type { Db } from '../../db/client'
import type { Role } from '../../db/schema'
import { insertInvitation } from '../../db/queries/invitations'
import { hashSecret, newSecret, readSession, switchSessionWorkspace, type SessionRecord } from './session.server'
import type { Services } from '../core.server'

export const PASSWORD_MIN_LENGTH = 12

/** Shared by the sign-up form, the CLI and tests. */
export const SignUpSchema = z.object({
  email: z.email('Enter an email address like name@example.com').max(254),
  password: z
    .string()
    .min(PASSWORD_MIN_LENGTH, `Use at least ${PASSWORD_MIN_LENGTH} characters`)
    .max(200, 'Use at most 200 characters'),
  name: z.string().trim().min(1, 'Enter your name').max(100),
  workspaceName: z.string().trim().min(1, 'Name your workspace (you can rename it later)').max(100),
})
export type SignUpInput = z.infer<typeof SignUpSchema>

export class EmailTakenError extends Error {
  override name = 'EmailTakenError'
}

const ROLE_RANK: Record<Role, number> = { viewer: 0, editor: 1, owner: 2 }
export function roleAtLeast(role: Role, minimum: Role): boolean {
  return ROLE_RANK[role] >= ROLE_RANK[minimum]
}

export function hashPassword(password: string): Promise<string> {
  return hash(password)
}

/** A hash to verify against when the email is unknown, so both failures take the same time. */
let dummyHash: Promise<string> | undefined

/** The user whose email and password match, or null. */
export async function verifyLogin(db: Db, args: { email: string; password: string }) {
  const user = await findUserByEmail(db, { email: args.email })
  dummyHash ??= hash('trickle-not-a-password')
  const ok = await verify(user?.passwordHash ?? (await dummyHash), args.password).catch(() => false)
  return user && ok ? user : null
}

/** Create a user, their workspace and their owner membership in one transaction. */
export async function signUp(db: Db, input: SignUpInput) {
  const passwordHash = await hashPassword(input.password)
  return db.transaction(async (tx) => {
    if (await findUserByEmail(tx, { email: input.email })) throw new EmailTakenError('An account with this email already exists')
    const user = await insertUser(tx, { email: input.email, name: input.name, passwordHash })
    const workspace = await createWorkspace(tx, { name: input.workspaceName, ownerUserId: user.id })
    return { user, workspace }
  })
}

/** Only same-site paths; anything else falls back to the dashboard. */
export function safeRedirect(to: FormDataEntryValue | string | null | undefined, fallback = '/app'): string {
  if (typeof to !== 'string' || !to.startsWith('/') || to.startsWith('//') || to.startsWith('/\\')) return fallback
  return to
}

function loginRedirect(request: Request): Response {
  const url = new URL(request.url)
  const params = new URLSearchParams({ redirectTo: `${url.pathname}${url.search}` })
  return redirect(`/login?${params}`)
}

/** The signed-in user, or a redirect to the log-in page (thrown). */
export async function requireUser(request: Request, services: Services) {
  const session = await readSession(request, services)
  const user = session ? await getUserById(services.database.db, { userId: session.userId }) : null
  if (!session || !user) throw loginRedirect(request)
  return { user, session }
}

/** Redirects signed-in users away from the log-in and sign-up pages. */
export async function requireAnonymous(request: Request, services: Services): Promise<void> {
  if (await readSession(request, services)) throw redirect('/app')
}

export type Membership = { id: string; role: Role }

/**
 * The signed-in user in their current workspace (the session's choice, else their first membership).
 * With `role`, members below it get a 403; people with no workspace get a 403 telling them what to do.
 */
export async function requireMembership(request: Request, services: Services, options: { role?: Role } = {}) {
  const { user, session } = await requireUser(request, services)
  const db = services.database.db
  let membership = session.workspaceId ? await getMembershipOfUser(db, { workspaceId: session.workspaceId, userId: user.id }) : null
  if (!membership) {
    const [first] = await listWorkspacesOfUser(db, { userId: user.id })
    if (!first) throw forbidden('You are not a member of any workspace. Ask a workspace owner for an invitation link.')
    membership = await getMembershipOfUser(db, { workspaceId: first.workspaceId, userId: user.id })
    if (!membership) throw forbidden('Your membership changed while loading this page. Reload it.')
    await switchSessionWorkspace(services, { idHash: session.idHash, workspaceId: membership.workspaceId })
  }
  const workspace = await getWorkspace(db, { workspaceId: membership.workspaceId })
  if (!workspace) throw forbidden('This workspace no longer exists. Reload the page.')
  if (options.role && !roleAtLeast(membership.role, options.role)) {
    throw forbidden(`This needs the ${options.role} role in ${workspace.name}; you are a ${membership.role}. Ask a workspace owner.`)
  }
  return { user, session: session satisfies SessionRecord, workspace, membership: { id: membership.id, role: membership.role } satisfies Membership }
}

export function forbidden(message: string): Response {
  return new Response(message, { status: 403, headers: { 'Content-Type': 'text/plain; charset=utf-8' } })
}

/** Loaders and actions throw this for anything outside the current workspace: never reveal that it exists. */
export function notFound(message = 'Not found'): Response {
  return new Response(message, { status: 404, headers: { 'Content-Type': 'text/plain; charset=utf-8' } })
}

const LOGIN_WINDOW_MS = 15 * 60 * 1000
const LOGIN_MAX_FAILURES = 10
/** Failed log-ins per email in this process (a soft brake on password guessing; resets on restart). */
const loginFailures = new Map<string, number[]>()

/** 0 when a log-in may be tried now, else the milliseconds to wait. */
export function checkLoginAllowed(args: { email: string; now: Date }): number {
  const recent = (loginFailures.get(args.email.trim().toLowerCase()) ?? []).filter((t) => t > args.now.getTime() - LOGIN_WINDOW_MS)
  if (recent.length < LOGIN_MAX_FAILURES) return 0
  return recent[0]! + LOGIN_WINDOW_MS - args.now.getTime()
}

export function recordLoginFailure(args: { email: string; now: Date }): void {
  const key = args.email.trim().toLowerCase()
  if (loginFailures.size > 10_000) loginFailures.clear()
  const recent = (loginFailures.get(key) ?? []).filter((t) => t > args.now.getTime() - LOGIN_WINDOW_MS)
  recent.push(args.now.getTime())
  loginFailures.set(key, recent.slice(-LOGIN_MAX_FAILURES))
}

export const INVITATION_TTL_MS = 7 * 24 * 60 * 60 * 1000

/** Create an invitation link; the token is in the returned path only, the table keeps its sha256. */
export async function issueInvitation(services: Services, args: { workspaceId: string; role: Role; createdByUserId: string }) {
  const token = newSecret()
  const expiresAt = new Date(services.clock.now().getTime() + INVITATION_TTL_MS)
  await insertInvitation(services.database.db, { ...args, tokenHash: hashSecret(token), expiresAt })
  return { path: `/invite/${token}`, url: new URL(`/invite/${token}`, services.config.APP_URL).toString(), expiresAt }
}
