import { smtpSettingsOf } from '../../connectors/email/index'
import { getAccountCredentials } from '../../db/queries/accounts'
import { getEmailSettings } from '../../db/queries/contacts'
import { appUrlIsHttps } from '../env.server'
import type { Services } from '../services.server'

/**
 * What is worth checking before a drip goes live but does not stop it (activationProblems does that):
 * an APP_URL that is not https (the one-click unsubscribe of RFC 8058 needs an https URI, so mailbox
 * providers ignore it) and a sender without DKIM. Each comes with what to do next.
 */

export type ActivationWarning = { field: 'appUrl' | 'dkim'; message: string; next: string }

export async function activationWarnings(services: Services, args: { workspaceId: string }): Promise<ActivationWarning[]> {
  const warnings: ActivationWarning[] = []
  if (!appUrlIsHttps(services.config)) {
    warnings.push({
      field: 'appUrl',
      message: `APP_URL is not https (${services.config.APP_URL}): one-click unsubscribe (RFC 8058) needs an https link, and mailbox providers ignore an http one`,
      next: 'Serve Trickle over https (behind a reverse proxy with a certificate) and set APP_URL to its https address; fine to ignore while developing.',
    })
  }
  const settings = await getEmailSettings(services.database.db, args)
  if (settings?.senderAccountId && !(await senderSignsWithDkim(services, { workspaceId: args.workspaceId, accountId: settings.senderAccountId }))) {
    const domain = settings.fromEmail.split('@')[1] ?? 'your domain'
    warnings.push({
      field: 'dkim',
      message: 'DKIM is not configured: mail may land in spam',
      next: `Turn on DKIM signing for ${domain} at your SMTP provider (most sign your mail once you publish the DNS records they give you), and check that SPF and DMARC records exist for ${domain}. If your provider signs already, you can ignore this.`,
    })
  }
  return warnings
}

async function senderSignsWithDkim(services: Services, args: { workspaceId: string; accountId: string }): Promise<boolean> {
  try {
    const credentials = await getAccountCredentials(services.database.db, { ...args, keyring: services.keyring })
    return Boolean(smtpSettingsOf(credentials).dkim)
  } catch {
    // Unreadable or incomplete SMTP settings: activationProblems and the sends report that.
    return false
  }
}
