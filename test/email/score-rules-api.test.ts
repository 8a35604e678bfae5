import { generateKeyPairSync } from 'node:crypto'
import { createWorkspace } from '../../db/queries/workspaces'
import { users } from '../../db/schema'
import { activationWarnings } from '../../core/drips/activation-warnings.server'
import { saveSender } from '../../core/email.server'
import type { Services } from '../../core/services.server'
import { signUpAs } from '../app-server'
import { startEmailApp, type EmailTestApp } from './setup'

/**
 * Score rules through the built app: the API (CRUD, 400/409 naming the field, 404 across workspaces),
 * the Audience page (form, CSRF, field errors) and the contact's score history; the Audience navigation;
 * and the drip activation checklist's warnings (APP_URL https, DKIM).
 */
let t: EmailTestApp
let otherToken: string
beforeAll(async () => {
  t = await startEmailApp({ worker: false })
  const other = await signUpAs(t.app, { email: 'other-owner@score.test' })
  otherToken = /trk_[A-Za-z0-9_-]+/.exec(await (await other.submit('/app/settings/tokens', { intent: 'create', name: 'other' })).text())![0]
}, 120_000)
afterAll(async () => {
  await t?.close()
})

type Rule = { id: string; on: string; name: string | null; points: number; everyDays: number | null; label: string }
const rules = async (token?: string): Promise<Rule[]> => (await (await t.api('GET', '/api/v1/score-rules', undefined, token ? { token } : {})).json()).rules

describe('/api/v1/score-rules', () => {
  it('lists the defaults; adds, reads, replaces and removes rules; one rule per activity, event or decay (409)', async () => {
    expect((await rules()).map((r) => r.label)).toEqual(['Opened an email: +1', 'Clicked a link: +2'])
    const created = await t.api('POST', '/api/v1/score-rules', { on: 'event', name: 'demo_booked', points: 10 })
    expect(created.status).toBe(201)
    const demo: Rule = await created.json()
    expect(demo).toMatchObject({ on: 'event', name: 'demo_booked', points: 10, everyDays: null, label: 'Event demo_booked: +10' })
    expect(await (await t.api('GET', `/api/v1/score-rules/${demo.id}`)).json()).toMatchObject({ id: demo.id, label: 'Event demo_booked: +10' })
    const replaced = await t.api('PUT', `/api/v1/score-rules/${demo.id}`, { on: 'event', name: 'demo_booked', points: 15 })
    expect(await replaced.json()).toMatchObject({ id: demo.id, points: 15, label: 'Event demo_booked: +15' })
    const decay: Rule = await (await t.api('POST', '/api/v1/score-rules', { on: 'inactive', points: -5, everyDays: 30 })).json()
    expect(decay).toMatchObject({ on: 'inactive', name: null, everyDays: 30, label: 'No activity for 30 days: −5' })
    expect((await rules()).map((r) => r.label)).toEqual(['Opened an email: +1', 'Clicked a link: +2', 'Event demo_booked: +15', 'No activity for 30 days: −5'])

    const twice = await t.api('POST', '/api/v1/score-rules', { on: 'opened', points: 3 })
    expect(twice.status).toBe(409)
    expect((await twice.json()).error).toMatchObject({ code: 'conflict', field: 'on' })
    const clash = await t.api('PUT', `/api/v1/score-rules/${decay.id}`, { on: 'event', name: 'demo_booked', points: 1 })
    expect(clash.status).toBe(409)
    expect((await clash.json()).error.field).toBe('name')

    expect((await t.api('DELETE', `/api/v1/score-rules/${decay.id}`)).status).toBe(204)
    expect((await t.api('GET', `/api/v1/score-rules/${decay.id}`)).status).toBe(404)
    expect((await t.api('DELETE', `/api/v1/score-rules/${decay.id}`)).status).toBe(404)
    expect((await t.api('GET', '/api/v1/score-rules/not-a-uuid')).status).toBe(404)
    expect((await t.api('DELETE', `/api/v1/score-rules/${demo.id}`)).status).toBe(204)

    const doc = await (await t.api('GET', '/api/v1/openapi.json')).json()
    expect(Object.keys(doc.paths['/score-rules/{ruleId}'])).toEqual(['get', 'put', 'delete'])
    expect(doc.components.schemas.ScoreRuleInput).toBeDefined()
  })

  it('refuses bad input with a 400 naming the field, and writes nothing', async () => {
    const before = await rules()
    const cases: Array<[unknown, string]> = [
      [{ on: 'opened', points: 0 }, 'points'],
      [{ on: 'opened', points: '5' }, 'points'],
      [{ on: 'opened', points: 5000 }, 'points'],
      [{ on: 'event', points: 2 }, 'name'],
      [{ on: 'event', name: 'has space', points: 2 }, 'name'],
      [{ on: 'inactive', points: 5, everyDays: 30 }, 'points'],
      [{ on: 'inactive', points: -5 }, 'everyDays'],
      [{ on: 'inactive', points: -5, everyDays: 0.5 }, 'everyDays'],
      [{ on: 'bounced', points: 1 }, 'on'],
      [{ on: 'opened', points: 1, extra: true }, 'extra'],
    ]
    for (const [body, field] of cases) {
      const response = await t.api('POST', '/api/v1/score-rules', body)
      expect(response.status, JSON.stringify(body)).toBe(400)
      expect((await response.json()).error, JSON.stringify(body)).toMatchObject({ code: 'invalid_request', field })
    }
    const put = await t.api('PUT', `/api/v1/score-rules/${before[0]!.id}`, { on: 'opened', points: 0 })
    expect(put.status).toBe(400)
    expect((await put.json()).error.field).toBe('points')
    expect(await rules()).toEqual(before)
  })

  it('keeps rules in their workspace: another workspace gets 404 for every method and lists only its own', async () => {
    const mine: Rule = await (await t.api('POST', '/api/v1/score-rules', { on: 'event', name: 'private_event', points: 4 })).json()
    for (const [method, body] of [['GET'], ['PUT', { on: 'event', name: 'taken_over', points: 1 }], ['DELETE']] as const) {
      expect((await t.api(method, `/api/v1/score-rules/${mine.id}`, body, { token: otherToken })).status, method).toBe(404)
    }
    expect((await rules(otherToken)).map((r) => r.label)).toEqual(['Opened an email: +1', 'Clicked a link: +2'])
    expect((await rules(otherToken)).some((r) => r.id === mine.id)).toBe(false)
    expect(await (await t.api('GET', `/api/v1/score-rules/${mine.id}`)).json()).toMatchObject({ label: 'Event private_event: +4' })
    await t.api('DELETE', `/api/v1/score-rules/${mine.id}`)
  })
})

describe('the score rules page and the contact’s score history', () => {
  it('adds a rule with the form (errors under the field, CSRF required), scores by it and shows the history on the contact page', async () => {
    const refused = await t.browser.submit('/app/contacts/score-rules', { intent: 'save', on: 'event', name: 'bad name', points: '7' })
    expect(refused.status).toBe(400)
    expect(await refused.text()).toContain('use letters, digits and _ . : -')
    const noPoints = await t.browser.submit('/app/contacts/score-rules', { intent: 'save', on: 'event', name: 'webinar_attended', points: 'seven' })
    expect(noPoints.status).toBe(400)
    expect(await noPoints.text()).toContain('enter a number of points')
    expect((await t.browser.post('/app/contacts/score-rules', { intent: 'save', on: 'event', name: 'webinar_attended', points: '7' })).status).toBe(403)
    const saved = await t.browser.submit('/app/contacts/score-rules', { intent: 'save', on: 'event', name: 'webinar_attended', points: '7' })
    expect(saved.status).toBe(302)
    const page = await (await t.browser.get('/app/contacts/score-rules')).text()
    expect(page).toContain('Event webinar_attended: +7')

    const event = await (await t.api('POST', '/api/v1/events', { email: 'page@score.test', type: 'webinar_attended' })).json()
    expect(event.scoreDelta).toBe(7)
    const contactPage = await (await t.browser.get(`/app/contacts/${event.contactId}`)).text()
    expect(contactPage).toMatch(/data-testid="lead-score"[^>]*>7</)
    expect(contactPage).toContain('Score history')
    expect(contactPage).toContain('Event webinar_attended: +7')

    // Edit by the same form (the rule's id), then remove it.
    const rule = (await rules()).find((r) => r.name === 'webinar_attended')!
    expect((await t.browser.submit(`/app/contacts/score-rules?edit=${rule.id}`, { intent: 'save', ruleId: rule.id, on: 'event', name: 'webinar_attended', points: '-2' })).status).toBe(302)
    expect((await rules()).find((r) => r.id === rule.id)?.label).toBe('Event webinar_attended: −2')
    expect((await t.browser.submit('/app/contacts/score-rules', { intent: 'remove', ruleId: rule.id })).status).toBe(302)
    expect((await rules()).some((r) => r.id === rule.id)).toBe(false)
  })
})

describe('the Audience navigation', () => {
  const current = async (path: string) => {
    const html = await (await t.browser.get(path)).text()
    return [...html.matchAll(/<a\b[^>]*aria-current="page"[^>]*>/g)].map((m) => /href="([^"]+)"/.exec(m[0])![1])
  }

  it('marks the page’s item, and only it, with aria-current', async () => {
    expect(await current('/app/contacts/score-rules')).toEqual(['/app/contacts/score-rules'])
    expect(await current('/app/contacts/segments/new')).toEqual(['/app/contacts/segments'])
    expect(await current('/app/contacts/sender')).toEqual(['/app/contacts/sender'])
    expect(await current('/app/contacts')).toEqual(['/app/contacts'])
    expect(await current('/app/drips/new')).toEqual(['/app/drips/new'])
    expect(await current('/app')).toEqual(['/app'])
    const nav = await (await t.browser.get('/app')).text()
    for (const label of ['Audience', 'Contacts', 'Segments', 'Signup forms', 'Fields', 'Score rules', 'Email sender', 'Drips']) expect(nav).toContain(`>${label}<`)
  })

  it('sends the dashboard’s “Set up the email sender” step to the sender page, which saves the sender', async () => {
    const dashboard = await (await t.browser.get('/app')).text()
    expect(dashboard).toMatch(/href="\/app\/contacts\/sender"[^>]*>[^<]*Set up the email sender|Set up the email sender[\s\S]{0,400}href="\/app\/contacts\/sender"/)
    const saved = await t.browser.submit('/app/contacts/sender', {
      intent: 'save-sender',
      fromName: 'Brand News',
      fromEmail: 'news@brand.test',
      replyTo: '',
      postalAddress: 'Brand Inc.\n1 Main St, Springfield',
      host: t.smtp.host,
      port: String(t.smtp.port),
      security: 'none',
    })
    expect(saved.status).toBe(200)
    expect(await saved.text()).toContain('Sender saved.')
    const refused = await t.browser.submit('/app/contacts/sender', { intent: 'save-sender', fromName: 'Brand', fromEmail: 'not an address', postalAddress: 'x', host: 'smtp.example.com', port: '587', security: 'none' })
    expect(refused.status).toBe(400)
    expect(await refused.text()).toContain('Enter the sender address')
  })
})

describe('drip activation checklist', () => {
  it('warns (without blocking) about an http APP_URL and a sender without DKIM, with what to do next', async () => {
    const drip = await (await t.api('POST', '/api/v1/drips', { name: 'Checklist', trigger: { kind: 'manual' }, steps: [{ subject: 'Hi', markdown: 'Hello' }] })).json()
    const page = await (await t.browser.get(`/app/drips/${drip.id}`)).text()
    expect(page).toContain('DKIM is not configured: mail may land in spam')
    expect(page).toContain('Turn on DKIM signing for brand.test')
    expect(page).toContain('APP_URL is not https')
    expect((await t.api('POST', `/api/v1/drips/${drip.id}/activate`)).status).toBe(200)
  })

  it('has nothing to say with an https APP_URL and a DKIM-signing sender', async () => {
    const db = t.app.services.database.db
    const [user] = await db.insert(users).values({ email: 'dkim@score.test', name: 'D', passwordHash: 'x' }).returning()
    const workspaceId = (await createWorkspace(db, { name: 'Signed', ownerUserId: user!.id })).id
    const services = { ...t.app.services, config: { ...t.app.services.config, APP_URL: 'https://trickle.example.com' } } as Services
    await saveSender(services, { workspaceId, fromName: 'S', fromEmail: 'news@signed.test', replyTo: null, postalAddress: 'Addr', smtp: { host: t.smtp.host, port: t.smtp.port, security: 'none' } })
    expect((await activationWarnings(services, { workspaceId })).map((w) => w.field)).toEqual(['dkim'])
    const privateKey = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()
    const dkim = { domainName: 'signed.test', keySelector: 'trickle', privateKey }
    await saveSender(services, { workspaceId, fromName: 'S', fromEmail: 'news@signed.test', replyTo: null, postalAddress: 'Addr', smtp: { host: t.smtp.host, port: t.smtp.port, security: 'none', dkim } })
    expect(await activationWarnings(services, { workspaceId })).toEqual([])
  })
})
