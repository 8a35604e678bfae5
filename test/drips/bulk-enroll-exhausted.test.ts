import { exponential } from 'agenda'
import { insertContact } from '../../db/queries/contacts'
import { defineBulkEnroll } from '../../jobs/bulk-enroll'
import { csrfTokenOf } from '../app-server'
import { startEmailApp, type EmailTestApp } from '../email/setup'

/**
 * A bulk enrollment whose every attempt fails (here each batch throws before it commits, as a database
 * that keeps going away would) ends `failed` with the reason once the job's retries are spent, instead
 * of saying "Enrolling…" for ever. Nobody is half-enrolled: no batch committed.
 */
let t: EmailTestApp
beforeAll(async () => {
  t = await startEmailApp({
    worker: (agenda, services) =>
      defineBulkEnroll(agenda, services, {
        backoff: exponential({ delay: 20, factor: 1, maxRetries: 2 }),
        onBatch: () => {
          throw new Error('connection terminated unexpectedly')
        },
      }),
  })
})
afterAll(async () => {
  await t?.close()
})

it('marks the run failed with the reason when every retry failed', async () => {
  const created = await t.api('POST', '/api/v1/drips', { name: 'Onboarding', steps: [{ subject: 'Welcome', markdown: 'Hello' }] })
  const dripId = (await created.json()).id
  expect((await t.api('POST', `/api/v1/drips/${dripId}/activate`)).status).toBe(200)
  await insertContact(t.app.services.database.db, { workspaceId: t.workspaceId, email: 'a@exhausted.test', status: 'subscribed', at: t.clock.now() })
  const form = new FormData()
  form.set('csrf', csrfTokenOf(await (await t.browser.get(`/app/drips/${dripId}/enroll`)).text()))
  form.set('from', 'csv')
  form.set('file', new Blob(['email\na@exhausted.test\n'], { type: 'text/csv' }), 'people.csv')
  const posted = await t.browser.request(`/app/drips/${dripId}/enroll`, { method: 'POST', body: form })
  expect(posted.status).toBe(302)
  const progress = posted.headers.get('location')!
  let html = ''
  for (let i = 0; i < 150 && !/data-status="(done|failed)"/.test(html); i++) {
    if (i > 0) await new Promise((r) => setTimeout(r, 100))
    html = await (await t.browser.get(progress)).text()
  }
  expect(html).toContain('data-status="failed"')
  expect(html).toContain('The enrollment stopped after repeated failures (connection terminated unexpectedly)')
  expect((await (await t.api('GET', `/api/v1/drips/${dripId}/enrollments`)).json()).enrollments).toHaveLength(0)
}, 60_000)
