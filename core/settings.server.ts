import { getEmailSettings, type EmailSettings } from '../db/queries/contacts'
import { getNotificationSettings, saveNotificationSettings, type NotificationSettings } from '../db/queries/notifications'
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

export async function updateNotificationSettings(services: Services, args: { workspaceId: string; settings: NotificationSettings }): Promise<void> {
  await saveNotificationSettings(services.database.db, { ...args, at: services.clock.now() })
}
