import { createHash } from 'node:crypto'
import { getConnector } from '../connectors/registry'
import type { Connector } from '../connectors/types'
import type { Db } from '../db/client'
import { getAccountCredentials } from '../db/queries/accounts'
import { getEmailSettings } from '../db/queries/contacts'
import { findUnnotifiedProblems, getNotificationSettings, markNotified, type UnnotifiedProblem } from '../db/queries/notifications'
import { listMembers } from '../db/queries/workspaces'
import type { Keyring } from '../db/vault'
import type { Clock } from '../domain/clock'
import type { Logger } from './logger'
import type { Services } from './services.server'

/**
 * Tells a workspace by email about posts that failed, were missed or need a person's review, and drip
 * emails that failed (by count per drip, never by address): one digest per workspace per run, sent through the workspace's own SMTP sender to its owners (and any extra
 * recipients). The in-app list shows the same problems; a workspace without a sender, or that turned the
 * email off, has them marked as told without mail (so turning it on later does not flood anyone).
 * A crash between the send and the mark can repeat one digest (same Message-ID); a problem is never skipped.
 */

const BATCH = 500
/** Listed one by one in a digest; the rest are counted. */
const LISTED = 50

export type NotifyDeps = {
  db: Db
  clock: Clock
  keyring: Keyring
  /** The registry's `email` connector (pooled SMTP). */
  email: Connector
  /** For links in the digest. */
  appUrl: string
  logger?: Pick<Logger, 'warn'>
}

export type NotifyReport = { digests: number; problems: number; silenced: number }

const STATE_LABEL: Record<string, string> = { failed: 'Failed', missed: 'Missed', needs_review: 'Needs review' }

function digest(problems: UnnotifiedProblem[], appUrl: string): { subject: string; text: string; html: string } {
  const workspace = problems[0]!.workspaceName
  const posts = problems.filter((p) => p.kind !== 'drip')
  const emails = problems.filter((p) => p.kind === 'drip')
  const count = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`
  const subject = `Trickle: ${[posts.length ? count(posts.length, 'post', 'posts') : '', emails.length ? count(emails.length, 'drip email', 'drip emails') : ''].filter(Boolean).join(' and ')} in ${workspace} need${problems.length === 1 ? 's' : ''} your attention`
  const postLines = posts
    .slice(0, LISTED)
    .map((p) => `- ${STATE_LABEL[p.state] ?? p.state}: ${p.seriesName}${p.accountHandle ? ` on @${p.accountHandle}` : ''}, due ${p.dueAt.toISOString().slice(0, 16).replace('T', ' ')} UTC${p.lastError ? ` (${p.lastError})` : ''}`)
  if (posts.length > LISTED) postLines.push(`- and ${posts.length - LISTED} more`)
  // Drip emails by drip and outcome, by count: a digest never lists the people who bounced.
  const byDrip = new Map<string, Map<string, number>>()
  for (const p of emails) {
    const states = byDrip.get(p.seriesName) ?? new Map<string, number>()
    states.set(p.state, (states.get(p.state) ?? 0) + 1)
    byDrip.set(p.seriesName, states)
  }
  const dripLines = [...byDrip].map(([name, states]) => `- ${name}: ${[...states].map(([state, n]) => `${n} ${(STATE_LABEL[state] ?? state).toLowerCase()}`).join(', ')}`)
  const sections: Array<{ intro: string; lines: string[]; link: string; action: string }> = []
  if (postLines.length) sections.push({ intro: 'These posts did not go out as planned:', lines: postLines, link: new URL('/app', appUrl).toString(), action: 'Review them, retry or reschedule' })
  if (dripLines.length) sections.push({ intro: 'Drip emails that did not go out (bounced addresses are suppressed):', lines: dripLines, link: new URL('/app/drips', appUrl).toString(), action: 'See each drip’s counts' })
  const footer = 'You get this because you own the workspace; change it under Settings → Notifications.'
  const text = [...sections.flatMap((s) => [s.intro, '', ...s.lines, '', `${s.action}: ${s.link}`, '']), footer].join('\n')
  const escape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')
  const html =
    sections.map((s) => `<p>${escape(s.intro)}</p><ul>${s.lines.map((l) => `<li>${escape(l.slice(2))}</li>`).join('')}</ul><p><a href="${escape(s.link)}">${escape(s.action)}</a></p>`).join('') +
    `<p>${escape(footer)}</p>`
  return { subject, text, html }
}

/** One pass: group unnotified problems by workspace, send each workspace one digest, mark them told. */
export async function notifyProblems(deps: NotifyDeps): Promise<NotifyReport> {
  const report: NotifyReport = { digests: 0, problems: 0, silenced: 0 }
  const problems = await findUnnotifiedProblems(deps.db, { limit: BATCH })
  const byWorkspace = new Map<string, UnnotifiedProblem[]>()
  for (const p of problems) byWorkspace.set(p.workspaceId, [...(byWorkspace.get(p.workspaceId) ?? []), p])
  for (const [workspaceId, items] of byWorkspace) {
    const ids = items.map((p) => p.id)
    const [settings, sender] = await Promise.all([getNotificationSettings(deps.db, { workspaceId }), getEmailSettings(deps.db, { workspaceId })])
    if (!settings.emailOnProblems || !sender?.senderAccountId) {
      await markNotified(deps.db, { workspaceId, deliveryIds: ids, at: deps.clock.now() })
      report.silenced += ids.length
      continue
    }
    const owners = (await listMembers(deps.db, { workspaceId })).filter((m) => m.role === 'owner').map((m) => m.email)
    const recipients = [...new Set([...owners, ...settings.extraRecipients])]
    const credentials = await getAccountCredentials(deps.db, { workspaceId, accountId: sender.senderAccountId, keyring: deps.keyring })
    const message = digest(items, deps.appUrl)
    // The same problems always give the same Message-ID, so a digest repeated after a crash is recognisable.
    const key = `notify:${createHash('sha256').update(ids.sort().join(',')).digest('hex')}`
    try {
      for (const to of recipients) {
        await deps.email.publish({
          credentials,
          idempotencyKey: `${key}:${to}`,
          content: { parts: [], email: { from: { name: sender.fromName, address: sender.fromEmail }, to, replyTo: sender.replyTo ?? undefined, ...message } },
        })
      }
    } catch (error) {
      // Leave them unmarked: the next run tries again (the in-app list shows them meanwhile).
      deps.logger?.warn({ err: error, workspaceId }, 'notify-problems: the digest was not sent; the next run tries again')
      continue
    }
    await markNotified(deps.db, { workspaceId, deliveryIds: ids, at: deps.clock.now() })
    report.digests++
    report.problems += ids.length
  }
  return report
}

/** The digest's dependencies from the process's services (the registry's pooled SMTP connector). */
export function notifyDeps(services: Services): NotifyDeps {
  return {
    db: services.database.db,
    clock: services.clock,
    keyring: services.keyring,
    email: getConnector(services.connectors, 'email'),
    appUrl: services.config.APP_URL,
    logger: services.logger,
  }
}
