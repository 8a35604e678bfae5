import { eq } from 'drizzle-orm'
import { findContactByEmail, getContact, insertContact, listConsentRecords } from '../../db/queries/contacts'
import { getSuppression, suppressAddress } from '../../db/queries/suppression'
import { contactEvents, contacts } from '../../db/schema'
import { isEmailBounce } from '../../connectors/email/index'
import { sendToContact, SuppressedError } from '../../core/email.server'
import { signedEmailUrl } from '../../core/email-links.server'
import { rawHeaders } from '../servers/smtp'
import { linkIn, startEmailApp, T0, type EmailTestApp } from './setup'

let t: EmailTestApp
beforeAll(async () => {
  t = await startEmailApp()
})
afterAll(async () => {
  await t?.close()
})

const db = () => t.app.services.database.db
const template = { subject: 'Tips for {{ first_name | "you" }}', markdown: 'Hello {{ name | "reader" }}!\n\nRead [our guide](https://docs.brand.test/guide?from=email&x=1).' }

async function newContact(email: string, name: string | null = null) {
  return insertContact(db(), { workspaceId: t.workspaceId, email, name, at: t.clock.now() })
}

async function sendMarketing(contactId: string, key: string) {
  return sendToContact(t.app.services, { workspaceId: t.workspaceId, contactId, template, idempotencyKey: key, purpose: 'marketing' })
}

describe('signup → double opt-in → confirm', () => {
  it('subscribes the contact only after the confirmation, with a full consent record', async () => {
    const before = t.smtp.messages.length
    // A plain cross-site form post: no cookies, no CSRF token.
    const posted = await fetch(`${t.app.url}/f/${t.formId}`, { method: 'POST', body: new URLSearchParams({ email: 'New.Reader@Example.com', name: 'New Reader' }) })
    expect(posted.status).toBe(200)
    expect(await posted.text()).toContain('Check your inbox')
    const contact = await findContactByEmail(db(), { workspaceId: t.workspaceId, email: 'new.reader@example.com' })
    expect(contact?.status).toBe('pending')

    const [mail] = (await t.smtp.waitForMessages(before + 1)).slice(before)
    expect(mail!.envelope.to).toEqual(['new.reader@example.com'])
    expect(mail!.parsed.subject).toBe('Please confirm your subscription')
    const confirmUrl = linkIn(mail!.parsed.text!, `${t.app.url}/f/confirm/`)

    t.clock.advance(60_000)
    const page = await fetch(confirmUrl)
    expect(page.status).toBe(200)
    expect((await getContact(db(), { workspaceId: t.workspaceId, contactId: contact!.id }))?.status).toBe('pending')
    const confirmed = await fetch(confirmUrl, { method: 'POST', body: new URLSearchParams() })
    expect(confirmed.status).toBe(200)
    expect(await confirmed.text()).toContain('You are subscribed')

    const after = await getContact(db(), { workspaceId: t.workspaceId, contactId: contact!.id })
    expect(after).toMatchObject({ status: 'subscribed', tags: ['newsletter'] })
    const [consent] = await listConsentRecords(db(), { workspaceId: t.workspaceId, contactId: contact!.id })
    expect(consent).toMatchObject({ source: `form:${t.formId}`, consentText: 'Yes, send me the weekly newsletter.', givenAt: T0, confirmedAt: new Date(T0.getTime() + 60_000) })
    expect(consent!.ip).toMatch(/127\.0\.0\.1$/)

    const tampered = confirmUrl.slice(0, -3) + (confirmUrl.endsWith('AAA') ? 'BBB' : 'AAA')
    expect((await fetch(tampered, { method: 'POST', body: new URLSearchParams() })).status).toBe(400)
  })

  it('an unsubscribed person who signs up again gets a fresh double opt-in; a bounced address is told the truth', async () => {
    const signUp = (email: string) => fetch(`${t.app.url}/f/${t.formId}`, { method: 'POST', body: new URLSearchParams({ email }) })
    const back = await newContact('back@example.com')
    await suppressAddress(db(), { workspaceId: t.workspaceId, email: 'back@example.com', reason: 'unsubscribed', at: t.clock.now() })
    t.clock.advance(60_000)
    const before = t.smtp.messages.length
    const posted = await signUp('back@example.com')
    expect(posted.status).toBe(200)
    expect(await posted.text()).toContain('Check your inbox')
    const [mail] = (await t.smtp.waitForMessages(before + 1)).slice(before)
    expect(mail!.envelope.to).toEqual(['back@example.com'])
    // Still unsubscribed until the owner of the address confirms.
    expect((await getContact(db(), { workspaceId: t.workspaceId, contactId: back.id }))?.status).toBe('unsubscribed')
    expect((await fetch(linkIn(mail!.parsed.text!, `${t.app.url}/f/confirm/`), { method: 'POST', body: new URLSearchParams() })).status).toBe(200)
    expect((await getContact(db(), { workspaceId: t.workspaceId, contactId: back.id }))?.status).toBe('subscribed')
    expect(await getSuppression(db(), { workspaceId: t.workspaceId, email: 'back@example.com' })).toBeNull()

    await newContact('bounced@example.com')
    await suppressAddress(db(), { workspaceId: t.workspaceId, email: 'bounced@example.com', reason: 'hard_bounce', at: t.clock.now() })
    const count = t.smtp.messages.length
    const refused = await signUp('bounced@example.com')
    expect(refused.status).toBe(422)
    expect(await refused.text()).toContain('We cannot send email to this address')
    await new Promise((resolve) => setTimeout(resolve, 500))
    expect(t.smtp.messages.length).toBe(count)
  })

  it('rejects a bad address with a message naming the field and ignores bots filling the honeypot', async () => {
    const bad = await fetch(`${t.app.url}/f/${t.formId}`, { method: 'POST', body: new URLSearchParams({ email: 'not-an-email' }) })
    expect(bad.status).toBe(400)
    expect(await bad.text()).toContain('must be an email address')
    const before = t.smtp.messages.length
    const bot = await fetch(`${t.app.url}/f/${t.formId}`, { method: 'POST', body: new URLSearchParams({ email: 'bot@spam.test', website: 'http://spam' }) })
    expect(bot.status).toBe(200)
    expect(await findContactByEmail(db(), { workspaceId: t.workspaceId, email: 'bot@spam.test' })).toBeNull()
    expect(t.smtp.messages.length).toBe(before)
    expect((await fetch(`${t.app.url}/f/00000000-0000-4000-8000-000000000000`)).status).toBe(404)
  })
})

describe('one-click unsubscribe', () => {
  it('works without cookies, takes effect at once, and the next send is refused before SMTP', async () => {
    const contact = await newContact('reader@example.com', 'Ann <Admin> & Co')
    const before = t.smtp.messages.length
    const { messageId } = await sendMarketing(contact.id, 'enr-1:step-1')
    const [mail] = (await t.smtp.waitForMessages(before + 1)).slice(before)
    expect(mail!.parsed.messageId).toBe(messageId)
    expect(mail!.parsed.subject).toBe('Tips for Ann')
    expect(mail!.parsed.html).toContain('Hello Ann &lt;Admin&gt; &amp; Co!')
    expect(mail!.parsed.html).toContain('Brand Inc.<br>1 Main St, Springfield')
    const headers = rawHeaders(mail!.raw)
    const listUnsubscribe = headers.filter((h) => h.name === 'list-unsubscribe')
    expect(listUnsubscribe).toHaveLength(1)
    expect(headers.find((h) => h.name === 'list-unsubscribe-post')?.value).toBe('List-Unsubscribe=One-Click')
    const [https, mailto] = listUnsubscribe[0]!.value.split(/,\s*/).map((v) => v.replace(/^<|>$/g, ''))
    expect(https).toMatch(new RegExp(`^${t.app.url}/u/`))
    expect(mailto).toMatch(/^mailto:news@brand\.test\?subject=unsubscribe%20/)

    // RFC 8058: the mail client POSTs this body to the https URI, with no cookies.
    const response = await fetch(https!, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: 'List-Unsubscribe=One-Click' })
    expect(response.status).toBe(200)
    expect((await getContact(db(), { workspaceId: t.workspaceId, contactId: contact.id }))?.status).toBe('unsubscribed')
    expect(await getSuppression(db(), { workspaceId: t.workspaceId, email: 'reader@example.com' })).toMatchObject({ reason: 'unsubscribed' })

    const count = t.smtp.messages.length
    await expect(sendMarketing(contact.id, 'enr-1:step-2')).rejects.toBeInstanceOf(SuppressedError)
    // Even if the status were changed behind our back, the suppression list still stops the send.
    await db().update(contacts).set({ status: 'subscribed' }).where(eq(contacts.id, contact.id))
    await expect(sendMarketing(contact.id, 'enr-1:step-3')).rejects.toThrow(/suppression list/)
    await new Promise((r) => setTimeout(r, 200))
    expect(t.smtp.messages.length).toBe(count)
  })

  it('keeps links valid for at least 30 days and rejects tampered ones with 400', async () => {
    const contact = await newContact('later@example.com')
    const url = signedEmailUrl(t.app.services, 'unsubscribe', { workspaceId: t.workspaceId, contactId: contact.id })
    const token = url.slice(url.lastIndexOf('/') + 1)
    const [payload, mac] = token.split('.')
    const forged = JSON.parse(Buffer.from(payload!, 'base64url').toString())
    forged.c = (await newContact('victim@example.com')).id
    const tampered = `${t.app.url}/u/${Buffer.from(JSON.stringify(forged)).toString('base64url')}.${mac}`
    expect((await fetch(tampered, { method: 'POST', body: 'List-Unsubscribe=One-Click', headers: { 'Content-Type': 'application/x-www-form-urlencoded' } })).status).toBe(400)
    expect((await fetch(tampered)).status).toBe(400)
    expect((await findContactByEmail(db(), { workspaceId: t.workspaceId, email: 'victim@example.com' }))?.status).toBe('subscribed')

    t.clock.advance(31 * 86_400_000)
    try {
      const page = await fetch(url)
      expect(page.status).toBe(200)
      expect(await page.text()).toContain('Stop all emails to later@example.com')
      expect((await fetch(url, { method: 'POST', body: new URLSearchParams({ 'List-Unsubscribe': 'One-Click' }) })).status).toBe(200)
      expect((await getContact(db(), { workspaceId: t.workspaceId, contactId: contact.id }))?.status).toBe('unsubscribed')
    } finally {
      t.clock.set(T0)
    }
  })
})

describe('bounces', () => {
  it('suppresses an address the receiving server rejects with 550', async () => {
    const contact = await newContact('gone@example.com')
    t.smtp.rejected.add('gone@example.com')
    const error = await sendMarketing(contact.id, 'enr-2:step-1').catch((e: unknown) => e)
    expect(isEmailBounce(error)).toBe(true)
    expect((await getContact(db(), { workspaceId: t.workspaceId, contactId: contact.id }))?.status).toBe('bounced')
    expect(await getSuppression(db(), { workspaceId: t.workspaceId, email: 'gone@example.com' })).toMatchObject({ reason: 'hard_bounce' })
    await expect(sendMarketing(contact.id, 'enr-2:step-2')).rejects.toBeInstanceOf(SuppressedError)
  })

  it('suppresses hard bounces reported to the DSN endpoint (raw report and JSON), not soft ones', async () => {
    await newContact('dsn@example.com')
    const report = [
      'Content-Type: multipart/report; report-type=delivery-status; boundary="b"',
      '',
      '--b',
      'Content-Type: message/delivery-status',
      '',
      'Reporting-MTA: dns; mx.example.net',
      '',
      'Final-Recipient: rfc822; dsn@example.com',
      'Action: failed',
      'Status: 5.1.1',
      '',
      'Final-Recipient: rfc822; busy@example.com',
      'Action: delayed',
      'Status: 4.4.1',
      '--b--',
    ].join('\r\n')
    const raw = await t.api('POST', '/api/v1/dsn', report, { contentType: 'multipart/report; report-type=delivery-status; boundary="b"' })
    expect(raw.status).toBe(200)
    expect(await raw.json()).toEqual({ suppressed: ['dsn@example.com'], ignored: ['busy@example.com'] })
    expect((await findContactByEmail(db(), { workspaceId: t.workspaceId, email: 'dsn@example.com' }))?.status).toBe('bounced')
    expect(await getSuppression(db(), { workspaceId: t.workspaceId, email: 'busy@example.com' })).toBeNull()

    const json = await t.api('POST', '/api/v1/dsn', { recipients: [{ recipient: 'Other@Example.com', action: 'failed', status: '5.2.1' }] })
    expect(json.status).toBe(200)
    expect(await getSuppression(db(), { workspaceId: t.workspaceId, email: 'other@example.com' })).toMatchObject({ reason: 'hard_bounce' })
    const bad = await t.api('POST', '/api/v1/dsn', { recipients: [{ recipient: 'x@example.com', action: 'failed', status: '550' }] })
    expect(bad.status).toBe(400)
    expect((await bad.json()).error.field).toBe('recipients.0.status')
    expect((await fetch(`${t.app.url}/api/v1/dsn`, { method: 'POST', body: report })).status).toBe(401)
  })
})

describe('tracking', () => {
  it('redirects only to signed URLs, scores opens and clicks once per message', async () => {
    const contact = await newContact('clicker@example.com')
    const before = t.smtp.messages.length
    await sendMarketing(contact.id, 'enr-3:step-1')
    const [mail] = (await t.smtp.waitForMessages(before + 1)).slice(before)
    const html = mail!.parsed.html as string
    const click = /href="([^"]*\/t\/c\/[^"]+)"/.exec(html)![1]!.replace(/&amp;/g, '&')
    const pixel = /<img src="([^"]*\/t\/o\/[^"]+)"/.exec(html)![1]!

    const redirect = await fetch(click, { redirect: 'manual' })
    expect(redirect.status).toBe(302)
    expect(redirect.headers.get('location')).toBe('https://docs.brand.test/guide?from=email&x=1')
    expect((await fetch(click, { redirect: 'manual' })).status).toBe(302)
    const image = await fetch(pixel)
    expect(image.status).toBe(200)
    expect(image.headers.get('content-type')).toBe('image/gif')
    await fetch(pixel)
    const scored = await getContact(db(), { workspaceId: t.workspaceId, contactId: contact.id })
    expect(scored?.leadScore).toBe(3) // clicked +2 once, opened +1 once
    const events = await db().select().from(contactEvents).where(eq(contactEvents.contactId, contact.id))
    expect(events.map((e) => e.type).sort()).toEqual(['clicked', 'opened', 'sent'])

    // Swap the destination inside the token but keep the signature: a 400, never a redirect.
    const token = click.slice(click.lastIndexOf('/') + 1)
    const [payload, mac] = token.split('.')
    const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString())
    claims.u = 'https://evil.test/phish'
    const altered = click.replace(token, `${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${mac}`)
    const refused = await fetch(altered, { redirect: 'manual' })
    expect(refused.status).toBe(400)
    expect(refused.headers.get('location')).toBeNull()
    // A valid token of another purpose is no click link either.
    const unsubscribeToken = rawHeaders(mail!.raw).find((h) => h.name === 'list-unsubscribe')!.value.match(/\/u\/([^>]+)>/)![1]!
    expect((await fetch(`${t.app.url}/t/c/${unsubscribeToken}`, { redirect: 'manual' })).status).toBe(400)
  })
})

describe('preference page and embeddable form', () => {
  it('lets the contact rename, unsubscribe and come back, but never lifts a bounce', async () => {
    const contact = await newContact('prefs@example.com', 'Old Name')
    const url = signedEmailUrl(t.app.services, 'preferences', { workspaceId: t.workspaceId, contactId: contact.id })
    expect(await (await fetch(url)).text()).toContain('prefs@example.com')
    const post = (fields: Record<string, string>) => fetch(url, { method: 'POST', body: new URLSearchParams(fields) })
    expect((await post({ intent: 'save', name: 'New Name' })).status).toBe(200)
    expect((await getContact(db(), { workspaceId: t.workspaceId, contactId: contact.id }))?.name).toBe('New Name')
    expect((await post({ intent: 'unsubscribe' })).status).toBe(200)
    expect(await getSuppression(db(), { workspaceId: t.workspaceId, email: 'prefs@example.com' })).toMatchObject({ reason: 'unsubscribed' })
    expect((await post({ intent: 'resubscribe' })).status).toBe(200)
    expect((await getContact(db(), { workspaceId: t.workspaceId, contactId: contact.id }))?.status).toBe('subscribed')
    expect(await getSuppression(db(), { workspaceId: t.workspaceId, email: 'prefs@example.com' })).toBeNull()

    const bounced = await newContact('bounced-prefs@example.com')
    await suppressAddress(db(), { workspaceId: t.workspaceId, email: bounced.email, reason: 'hard_bounce', at: t.clock.now() })
    const bouncedUrl = signedEmailUrl(t.app.services, 'preferences', { workspaceId: t.workspaceId, contactId: bounced!.id })
    expect((await fetch(bouncedUrl, { method: 'POST', body: new URLSearchParams({ intent: 'resubscribe' }) })).status).toBe(409)
    expect((await getContact(db(), { workspaceId: t.workspaceId, contactId: bounced!.id }))?.status).toBe('bounced')
    expect((await fetch(url.replace('/p/', '/p/x'))).status).toBe(400)
  })

  it('serves the form without page chrome for an iframe', async () => {
    const hosted = await (await fetch(`${t.app.url}/f/${t.formId}`)).text()
    const embedded = await (await fetch(`${t.app.url}/f/${t.formId}?embed=1`)).text()
    expect(hosted).toMatch(/<h1[^>]*>Newsletter<\/h1>/)
    expect(embedded).not.toMatch(/<h1[^>]*>Newsletter<\/h1>/)
    expect(embedded).toContain('Yes, send me the weekly newsletter.')
    expect(embedded).toContain('name="email"')
  })
})
