import { hash, verify } from '@node-rs/argon2'
import { z } from 'zod'
import { lineSchema } from '../domain/text'
import { TimezoneSchema } from '../domain/email/contact'
import type { Db } from '../db/client'
import { closePasswordResets } from '../db/queries/password-resets'
import { deleteUserSessions } from '../db/queries/sessions'
import { findUserByEmail, getUserById, insertUser, setUserPassword } from '../db/queries/users'
import { createWorkspace } from '../db/queries/workspaces'
import { acceptInvitation } from '../db/queries/invitations'
import { reportAccountEvent } from './account-events'
import { checkCurrentPassword, describeWait } from './login-throttle.server'
import { NewPasswordSchema, passwordProblem, refinePasswordWithUser } from './passwords'
import type { Services } from './services.server'

/** People who log in: sign-up (a user, their workspace and their owner membership), the password check and password changes. */

export { COMMON_PASSWORD_MESSAGE, PASSWORD_MIN_LENGTH, passwordProblem } from './passwords'

/** Shared by the sign-up form, the CLI and tests. */
const SignUpFields = z.object({
  email: z.string().trim().pipe(z.email('Enter an email address like name@example.com').max(254)),
  password: NewPasswordSchema,
  name: lineSchema('Remove the control characters').trim().min(1, 'Enter your name').max(100),
  workspaceName: lineSchema('Remove the control characters').trim().min(1, 'Name your workspace (you can rename it later)').max(100),
  /** The browser's zone, filled in by the sign-up page: the new workspace's zone (else UTC). One it cannot read is ignored. */
  timezone: z.string().max(64).optional().transform((zone) => (zone && TimezoneSchema.safeParse(zone).success ? zone : undefined)),
})
export const SignUpSchema = SignUpFields.superRefine(refinePasswordWithUser)
export type SignUpInput = Omit<z.infer<typeof SignUpSchema>, 'timezone'> & { timezone?: string }
/** Someone who signs up through an invitation joins that workspace and gets none of their own (issue 20). */
export const InvitedSignUpSchema = SignUpFields.omit({ workspaceName: true, timezone: true }).superRefine(refinePasswordWithUser)
export type InvitedSignUpInput = z.infer<typeof InvitedSignUpSchema>

/** The invitation was used, revoked or expired between the sign-up page and its submit. */
export class InvitationGoneError extends Error {
  override name = 'InvitationGoneError'
}

export class EmailTakenError extends Error {
  override name = 'EmailTakenError'
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
    const workspace = await createWorkspace(tx, { name: input.workspaceName, ownerUserId: user.id, timezone: input.timezone })
    return { user, workspace }
  })
}

/**
 * Create a user and make them a member of the workspace that invited them, in one transaction: an
 * invitation that is no longer open creates nothing (InvitationGoneError).
 */
export async function signUpInvited(services: Pick<Services, 'database' | 'clock'>, args: { input: InvitedSignUpInput; tokenHash: string }) {
  const passwordHash = await hashPassword(args.input.password)
  return services.database.db.transaction(async (tx) => {
    if (await findUserByEmail(tx, { email: args.input.email })) throw new EmailTakenError('An account with this email already exists')
    const user = await insertUser(tx, { email: args.input.email, name: args.input.name, passwordHash })
    const joined = await acceptInvitation(tx, { tokenHash: args.tokenHash, userId: user.id, now: services.clock.now() })
    if (!joined) throw new InvitationGoneError('The invitation is no longer open')
    return { user, joined }
  })
}

export async function findUser(services: Services, args: { userId: string }) {
  return getUserById(services.database.db, args)
}

/**
 * Set a new password and sign the user out of every other session (all of them without `keepSessionIdHash`);
 * open reset links stop working. The one path for a change in settings, a reset link and the operator's CLI.
 */
export async function setNewPassword(
  services: Pick<Services, 'database' | 'clock' | 'onAccountEvent'>,
  args: { userId: string; password: string; keepSessionIdHash?: string; by: 'user' | 'reset-link' | 'operator' },
): Promise<{ sessionsEnded: number }> {
  const passwordHash = await hashPassword(args.password)
  const at = services.clock.now()
  const sessionsEnded = await services.database.db.transaction(async (tx) => {
    await setUserPassword(tx, { userId: args.userId, passwordHash, at })
    await closePasswordResets(tx, { userId: args.userId, now: at })
    return deleteUserSessions(tx, { userId: args.userId, keepIdHash: args.keepSessionIdHash })
  })
  await reportAccountEvent(services, { type: 'password-changed', userId: args.userId, by: args.by, sessionsEnded })
  return { sessionsEnded }
}

export const ChangePasswordSchema = z
  .object({
    currentPassword: z.string().min(1, 'Enter your current password'),
    newPassword: NewPasswordSchema,
    confirmPassword: z.string(),
  })
  .refine((d) => d.newPassword === d.confirmPassword, { path: ['confirmPassword'], message: 'Type the same new password twice' })

export type ChangePasswordResult = { ok: true; sessionsEnded: number } | { ok: false; fieldErrors: Record<string, string> }

/**
 * A signed-in user changes their password: the current one is checked again (under the log-in throttle),
 * the new one also against their email and name. Their other sessions end; this one stays.
 */
export async function changePassword(
  services: Services,
  args: { userId: string; sessionIdHash: string; ip: string | null; input: z.infer<typeof ChangePasswordSchema> },
): Promise<ChangePasswordResult> {
  const user = await getUserById(services.database.db, { userId: args.userId })
  if (!user) return { ok: false, fieldErrors: { currentPassword: 'Your account no longer exists' } }
  const check = await checkCurrentPassword(services, { userId: user.id, password: args.input.currentPassword, ip: args.ip })
  if (check.outcome === 'throttled') return { ok: false, fieldErrors: { currentPassword: `Too many wrong passwords. Wait ${describeWait(check.waitMs)} and try again.` } }
  if (check.outcome === 'mismatch') return { ok: false, fieldErrors: { currentPassword: 'That is not your current password' } }
  const problem = passwordProblem(args.input.newPassword, [user.email, user.name])
  if (problem) return { ok: false, fieldErrors: { newPassword: problem } }
  const { sessionsEnded } = await setNewPassword(services, { userId: user.id, password: args.input.newPassword, keepSessionIdHash: args.sessionIdHash, by: 'user' })
  return { ok: true, sessionsEnded }
}
