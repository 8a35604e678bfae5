import { eq } from 'drizzle-orm'
import { connectAccount } from '../../db/queries/accounts'
import { planDeliveries } from '../../db/queries/deliveries'
import { createSequence } from '../../db/queries/sequences'
import { deliveries } from '../../db/schema'
import { fixedClock } from '../../domain/clock'
import { deliveryScheduler } from '../../jobs/enqueue'
import { signUpAs, startTestApp, type TestApp, type TestBrowser } from '../app-server'

const clock = fixedClock(new Date('2026-05-04T09:00:00Z'))
let app: TestApp
let browser: TestBrowser
let workspaceId: string
let token: string

beforeAll(async () => {
  app = await startTestApp({ clock })
  browser = await signUpAs(app, { email: 'banner@example.com', workspaceName: 'Banner' })
  const page = await browser.submit('/app/settings/tokens', { intent: 'create', name: 'me' })
  token = /trk_[A-Za-z0-9_-]+/.exec(await page.text())![0]
  workspaceId = (await (await fetch(`${app.url}/api/v1/me`, { headers: { Authorization: `Bearer ${token}` } })).json()).workspace.id
  const { db } = app.services.database
  const account = await connectAccount(db, {
    workspaceId,
    kind: 'x',
    remoteAccountId: '42',
    handle: 'banner',
    credentials: { accessToken: 'token' },
    keyring: app.services.keyring,
    clock,
  })
  const { sequence, steps } = await createSequence(db, { workspaceId, kind: 'series', name: 'Launch', steps: [{ parts: [{ text: 'hello' }] }], clock })
  await planDeliveries(db, {
    workspaceId,
    sequenceId: sequence.id,
    items: [{ stepId: steps[0]!.id, accountId: account.id, dueAt: new Date('2026-05-04T09:01:00Z') }],
    clock,
    scheduler: deliveryScheduler(app.services.jobs.agenda),
  })
})
afterAll(async () => {
  await app?.close()
})

describe('telling the user', () => {
  it('stays away until a due post has waited more than 2 minutes, then tells the user what to check', async () => {
    const banner = 'Posts are not going out'
    expect(await (await browser.get('/app')).text()).not.toContain(banner)
    clock.set(new Date('2026-05-04T09:02:30Z')) // 90 s overdue: a worker may still be picking it up
    expect(await (await browser.get('/app')).text()).not.toContain(banner)
    clock.set(new Date('2026-05-04T09:03:30Z'))
    const html = await (await browser.get('/app')).text()
    expect(html).toContain(banner)
    expect(html).toContain('worker is running')
    const health = await (await fetch(`${app.url}/healthz?detail`, { headers: { Authorization: `Bearer ${token}` } })).json()
    expect(health.oldestOverdue.overdueMs).toBe(150_000)
    expect(await (await browser.get('/healthz?detail')).json()).toMatchObject({ oldestOverdue: { overdueMs: 150_000 } })
  })
})

it('lists a failed delivery on the dashboard with its reason and what to do next', async () => {
  const { db } = app.services.database
  expect(await (await browser.get('/app')).text()).not.toContain('Needs attention')
  // What the worker records for an invalid-content answer (see core/publishing/publish.server.ts).
  await db
    .update(deliveries)
    .set({ state: 'failed', lastError: 'X refused the post as a duplicate', lastErrorKind: 'invalid-content', nextAttemptAt: null })
    .where(eq(deliveries.workspaceId, workspaceId))
  const html = await (await browser.get('/app')).text()
  expect(html).toContain('Needs attention')
  expect(html).toContain('X refused the post as a duplicate')
  expect(html).toContain('Launch')
  const other = await signUpAs(app, { email: 'other-banner@example.com', workspaceName: 'Other' })
  expect(await (await other.get('/app')).text()).not.toContain('X refused the post as a duplicate')
})
