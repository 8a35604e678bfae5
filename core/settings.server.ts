import { z } from 'zod'
import { isSmtpHost } from '../connectors/email/index'
import { isStorableText } from '../domain/email/contact'
import { getEmailSettings, type EmailSettings } from '../db/queries/contacts'
import { getNotificationSettings, saveNotificationSettings, type NotificationSettings } from '../db/queries/notifications'
import { recordAuditEvent } from './audit.server'
import type { Services } from './services.server'

/** A workspace's settings: email (sender, postal address, score decay) and problem notifications. */

export type { EmailSettings, NotificationSettings }

/** The workspace's email settings, or null before a sender was saved. */
export async function loadEmailSettings(services: Services, args: { workspaceId: string }): Promise<EmailSettings | null> {
  return getEmailSettings(services.database.db, args)
}

/** Who gets the problem digest, and whether the workspace has a sender to mail it with. */
export async function loadNotificationSettings(services: Services, args: { workspaceId: string }): Promise<{ settings: NotificationSettings; hasSender: boolean }> {
  const db = services.database.db
  const [settings, sender] = await Promise.all([getNotificationSettings(db, args), getEmailSettings(db, args)])
  return { settings, hasSender: Boolean(sender?.senderAccountId) }
}

export async function updateNotificationSettings(services: Services, args: { workspaceId: string; actorUserId: string; settings: NotificationSettings }): Promise<void> {
  await saveNotificationSettings(services.database.db, { workspaceId: args.workspaceId, settings: args.settings, at: services.clock.now() })
  await recordAuditEvent(services, {
    workspaceIds: args.workspaceId,
    kind: 'notifications.updated',
    actorUserId: args.actorUserId,
    target: { type: 'workspace', id: args.workspaceId },
    detail: { emailOnProblems: args.settings.emailOnProblems, extraRecipients: args.settings.extraRecipients.length },
  })
}

/**
 * The sender's SMTP host (the form's `host` field and saveSender): a host name or an IP address only,
 * never a URL, a port, spaces or line breaks. Whether its address may be reached is decided when a
 * connection is made (connectors/net-guard.ts).
 */
export const SmtpHostSchema = z
  .string()
  .trim()
  .min(1, 'Enter the SMTP host')
  .refine(isSmtpHost, 'The SMTP host must be a host name or IP address, like smtp.example.com (no scheme, port, spaces or line breaks)')

/** A required line of a form: trimmed, at most `max` characters, no control characters. */
export const RequiredLine = (label: string, max = 200) => z.string().trim().min(1, `Enter ${label}`).max(max, `Use at most ${max} characters`).refine(isStorableText, 'Remove the control characters')

/** The sender page's form (app/routes/app.contacts.sender.tsx): who mail is from, the postal address and the SMTP server. */
export const SenderFormSchema = z.object({
  intent: z.literal('save-sender'),
  fromName: RequiredLine('the sender name'),
  fromEmail: z.email('Enter the sender address'),
  replyTo: z.union([z.literal(''), z.email('Enter an email address or leave empty')]).optional(),
  postalAddress: RequiredLine('your postal address (required in marketing email)', 500),
  host: SmtpHostSchema,
  port: z.coerce.number().int().min(1).max(65535),
  security: z.enum(['tls', 'starttls', 'none']),
  user: z.string().trim().max(200).optional(),
  password: z.string().max(500).optional(),
})

/** What `saveSender` takes, from the sender form. */
export function senderFromForm(workspaceId: string, form: z.infer<typeof SenderFormSchema>) {
  return {
    workspaceId,
    fromName: form.fromName,
    fromEmail: form.fromEmail,
    replyTo: form.replyTo || null,
    postalAddress: form.postalAddress,
    smtp: { host: form.host, port: form.port, security: form.security, user: form.user || undefined, password: form.password || undefined },
  }
}
