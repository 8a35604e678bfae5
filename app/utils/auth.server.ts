import { redirect } from '@remix-run/node'
import { findUser, findUserMembership, listUserWorkspaces, loadWorkspace, noteRefusedLookup, noteRequester, roleAtLeast, type Role, type Services } from '../core.server'
import { readSession, switchSessionWorkspace, type SessionRecord } from './session.server'

export {
  EmailTakenError,
  hashPassword,
  INVITATION_TTL_MS,
  issueInvitation,
  PASSWORD_MIN_LENGTH,
  roleAtLeast,
  signUp,
  SignUpSchema,
  verifyLogin,
  type SignUpInput,
} from '../core.server'

/** Where relative redirect targets are resolved; any origin works, the check only compares against it. */
const SAME_ORIGIN = 'http://trickle.invalid'

/**
 * Only same-origin paths; anything else falls back to the dashboard (ASVS V3.7.2). The target is parsed
 * the way a browser will follow it (the WHATWG URL parser, which drops tabs and newlines and reads `\`
 * as `/`): it must resolve to this origin. A target with a control character, a space or a backslash
 * is refused outright (a raw newline in a Location header would also be a 500), and what is returned
 * is the parser's own serialisation of the path, query and fragment.
 */
export function safeRedirect(to: FormDataEntryValue | string | null | undefined, fallback = '/app'): string {
  // eslint-disable-next-line no-control-regex
  if (typeof to !== 'string' || !to.startsWith('/') || /[\u0000-\u0020\u007f-\u00a0\\]/.test(to)) return fallback
  let url: URL
  try {
    url = new URL(to, SAME_ORIGIN)
  } catch {
    return fallback
  }
  if (url.origin !== SAME_ORIGIN || url.username || url.password) return fallback
  return `${url.pathname}${url.search}${url.hash}`
}

function loginRedirect(request: Request): Response {
  const url = new URL(request.url)
  const params = new URLSearchParams({ redirectTo: `${url.pathname}${url.search}` })
  return redirect(`/login?${params}`)
}

/** The signed-in user, or a redirect to the log-in page (thrown). */
export async function requireUser(request: Request, services: Services) {
  const session = await readSession(request, services)
  const user = session ? await findUser(services, { userId: session.userId }) : null
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
  let membership = session.workspaceId ? await findUserMembership(services, { workspaceId: session.workspaceId, userId: user.id }) : null
  if (!membership) {
    const [first] = await listUserWorkspaces(services, { userId: user.id })
    if (!first) throw forbidden('You are not a member of any workspace. Ask a workspace owner for an invitation link.')
    membership = await findUserMembership(services, { workspaceId: first.workspaceId, userId: user.id })
    if (!membership) throw forbidden('Your membership changed while loading this page. Reload it.')
    await switchSessionWorkspace(services, { idHash: session.idHash, workspaceId: membership.workspaceId })
  }
  const workspace = await loadWorkspace(services, { workspaceId: membership.workspaceId })
  if (!workspace) throw forbidden('This workspace no longer exists. Reload the page.')
  noteRequester({ userId: user.id, workspaceId: workspace.id })
  if (options.role && !roleAtLeast(membership.role, options.role)) {
    throw forbidden(`This needs the ${options.role} role in ${workspace.name}; you are a ${membership.role}. Ask a workspace owner.`)
  }
  return { user, session: session satisfies SessionRecord, workspace, membership: { id: membership.id, role: membership.role } satisfies Membership }
}

export function forbidden(message: string): Response {
  return new Response(message, { status: 403, headers: { 'Content-Type': 'text/plain; charset=utf-8' } })
}

/**
 * Loaders and actions throw this for anything outside the current workspace: never reveal that it exists.
 * A member's request answered this way is an `access.refused` audit event of their workspace.
 */
export function notFound(message = 'Not found'): Response {
  noteRefusedLookup()
  return new Response(message, { status: 404, headers: { 'Content-Type': 'text/plain; charset=utf-8' } })
}
