import { listAccounts } from '../db/queries/accounts'
import { listOpenInvitations } from '../db/queries/invitations'
import { listSeries } from '../db/queries/series'
import { listMembers } from '../db/queries/workspaces'
import type { Services } from './services.server'

export type OnboardingStep = { id: 'account' | 'series' | 'sender' | 'teammate'; label: string; description: string; href: string; done: boolean }

/**
 * A new workspace's first steps, each done once the workspace has it: a social account, a series, an
 * email sender (SMTP), a teammate (a second member or an open invitation). Read from the data, so the
 * checklist needs no state of its own.
 */
export async function loadOnboarding(services: Services, args: { workspaceId: string }): Promise<{ steps: OnboardingStep[]; done: number }> {
  const db = services.database.db
  const { workspaceId } = args
  const [accounts, series, members, invitations] = await Promise.all([
    listAccounts(db, { workspaceId }),
    listSeries(db, { workspaceId }),
    listMembers(db, { workspaceId }),
    listOpenInvitations(db, { workspaceId, now: services.clock.now() }),
  ])
  const steps: OnboardingStep[] = [
    { id: 'account', label: 'Connect a social account', description: 'X, Mastodon or Bluesky: where your posts go.', href: '/app/accounts', done: accounts.some((a) => a.kind !== 'email') },
    { id: 'series', label: 'Create a series', description: 'Write the posts once and pick when they go out.', href: '/app/series/new', done: series.length > 0 },
    { id: 'sender', label: 'Set up the email sender', description: 'Your SMTP server, for drips and problem digests.', href: '/app/contacts/sender', done: accounts.some((a) => a.kind === 'email') },
    { id: 'teammate', label: 'Invite a teammate', description: 'A link that gives them a role in this workspace.', href: '/app/settings/invitations', done: members.length > 1 || invitations.length > 0 },
  ]
  return { steps, done: steps.filter((s) => s.done).length }
}
