import { connectAccount } from '../../db/queries/accounts'
import type { Clock } from '../../domain/clock'
import type { TestApp, TestBrowser } from '../app-server'

/** Shared setup of the series suites: an API token, the browser's workspace id and a connected account. */

export async function createApiToken(browser: TestBrowser): Promise<string> {
  const page = await browser.submit('/app/settings/tokens', { intent: 'create', name: 'tests' })
  return /trk_[A-Za-z0-9_-]+/.exec(await page.text())![0]
}

export async function workspaceIdOf(app: TestApp, token: string): Promise<string> {
  const me = await (await fetch(`${app.url}/api/v1/me`, { headers: { Authorization: `Bearer ${token}` } })).json()
  return me.workspace.id as string
}

/** Connects an account straight through the query module (the OAuth flow has its own tests). */
export async function connectTestAccount(
  app: TestApp,
  args: { workspaceId: string; clock: Clock; kind?: 'x' | 'mastodon'; handle?: string; remoteAccountId?: string },
): Promise<string> {
  const handle = args.handle ?? 'team@social.example'
  const account = await connectAccount(app.services.database.db, {
    workspaceId: args.workspaceId,
    kind: args.kind ?? 'mastodon',
    remoteAccountId: args.remoteAccountId ?? handle,
    handle,
    credentials: { accessToken: 'secret', refreshToken: 'refresh', extra: { instanceUrl: 'https://social.example' } },
    keyring: app.services.keyring,
    clock: args.clock,
  })
  return account.id
}
