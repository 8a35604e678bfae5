import { getAccountCredentials } from '../db/queries/accounts'
import { getEmailSettings } from '../db/queries/contacts'
import { consumePasswordReset, findOpenPasswordReset, insertPasswordReset, latestPasswordReset } from '../db/queries/password-resets'
import { findUserByEmail, getUserById } from '../db/queries/users'
import { listWorkspacesOfUser } from '../db/queries/workspaces'
import { reportAccountEvent } from './account-events'
import { emailConnector } from './email.server'
import { passwordProblem } from './passwords'
import { hashSecret, newSecret } from './secrets'
import type { Services } from './services.server'
import { setNewPassword } from './users.server'

/**
 * "Forgot your password": a single-use link that expires after an hour, stored as the sha256 of its
 * token, mailed through the SMTP sender of a workspace the person owns (or of their only workspace:
 * never through a workspace whose owners could read the mail and take over an account that reaches
 * further). Without such a sender nothing is mailed and the operator resets the password with the CLI
 * (`npm run trickle -- user reset-password`). docs/decisions/065-account-security.md.
 */

export const PASSWORD_RESET_TTL_MS = 60 * 60 * 1000
/** At most one reset mail per person in this time, however often the form is sent. */
const RESEND_AFTER_MS = 2 * 60 * 1000

/** The workspace whose sender may carry this person's reset mail, or null. */
async function resetSender(services: Services, userId: string) {
  const db = services.database.db
  const workspaces = await listWorkspacesOfUser(db, { userId })
  const trusted = workspaces.length === 1 ? workspaces : workspaces.filter((w) => w.role === 'owner')
  for (const workspace of trusted) {
    const settings = await getEmailSettings(db, { workspaceId: workspace.workspaceId })
    if (settings?.senderAccountId) return { workspaceId: workspace.workspaceId, settings: { ...settings, senderAccountId: settings.senderAccountId } }
  }
  return null
}

function resetMail(url: string): { subject: string; text: string; html: string } {
  const subject = 'Reset your Trickle password'
  const text = [
    'Someone (hopefully you) asked to reset the password of your Trickle account.',
    '',
    `Choose a new password here (the link works once, for one hour): ${url}`,
    '',
    'If you did not ask for this, ignore this email: your password stays as it is.',
  ].join('\n')
  const escaped = url.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;')
  const html = `<p>Someone (hopefully you) asked to reset the password of your Trickle account.</p><p><a href="${escaped}">Choose a new password</a> (the link works once, for one hour).</p><p>If you did not ask for this, ignore this email: your password stays as it is.</p>`
  return { subject, text, html }
}

/**
 * Ask for a reset link for `email`. The answer is the same whether or not the email has an account.
 * The mail goes out in the background (`delivery` settles when it is sent, or not), so the time the
 * request takes does not tell either. `delivery` is true when a mail was handed to the SMTP server.
 */
export async function requestPasswordReset(services: Services, args: { email: string; ip: string | null }): Promise<{ delivery: Promise<boolean> }> {
  const db = services.database.db
  const user = await findUserByEmail(db, { email: args.email })
  if (!user) return { delivery: Promise.resolve(false) }
  const now = services.clock.now()
  const latest = await latestPasswordReset(db, { userId: user.id })
  if (latest && now.getTime() - latest.createdAt.getTime() < RESEND_AFTER_MS) return { delivery: Promise.resolve(false) }
  const sender = await resetSender(services, user.id)
  if (!sender) {
    await reportAccountEvent(services, { type: 'password-reset-requested', userId: user.id, ip: args.ip, mailed: false })
    return { delivery: Promise.resolve(false) }
  }
  const token = newSecret()
  await insertPasswordReset(db, { userId: user.id, tokenHash: hashSecret(token), expiresAt: new Date(now.getTime() + PASSWORD_RESET_TTL_MS), at: now })
  const url = new URL(`/reset-password/${token}`, services.config.APP_URL).toString()
  const delivery = (async () => {
    const credentials = await getAccountCredentials(db, { workspaceId: sender.workspaceId, accountId: sender.settings.senderAccountId, keyring: services.keyring })
    await emailConnector(services).publish({
      credentials,
      idempotencyKey: `password-reset:${hashSecret(token)}`,
      content: { parts: [], email: { from: { name: 'Trickle', address: sender.settings.fromEmail }, to: user.email, ...resetMail(url) } },
    })
    await reportAccountEvent(services, { type: 'password-reset-requested', userId: user.id, ip: args.ip, mailed: true })
    return true
  })().catch((error: unknown) => {
    services.logger.error({ err: error, userId: user.id }, 'password reset: the mail was not sent')
    return false
  })
  return { delivery }
}

/** Whether a reset link can still be used (for the page that asks for the new password). */
export async function isPasswordResetOpen(services: Services, args: { token: string }): Promise<boolean> {
  return Boolean(await findOpenPasswordReset(services.database.db, { tokenHash: hashSecret(args.token), now: services.clock.now() }))
}

export type ResetResult = { ok: true } | { ok: false; problem: 'link'; message: string } | { ok: false; problem: 'password'; message: string }

/** Use a reset link once: the new password is set and every session of the person ends. */
export async function resetPasswordWithToken(services: Services, args: { token: string; password: string }): Promise<ResetResult> {
  const db = services.database.db
  const tokenHash = hashSecret(args.token)
  const open = await findOpenPasswordReset(db, { tokenHash, now: services.clock.now() })
  const user = open ? await getUserById(db, { userId: open.userId }) : null
  const expired = { ok: false, problem: 'link', message: 'This reset link has expired or was already used. Ask for a new one.' } as const
  if (!open || !user) return expired
  const problem = passwordProblem(args.password, [user.email, user.name])
  if (problem) return { ok: false, problem: 'password', message: problem }
  if (!(await consumePasswordReset(db, { tokenHash, now: services.clock.now() }))) return expired
  await setNewPassword(services, { userId: user.id, password: args.password, by: 'reset-link' })
  return { ok: true }
}
