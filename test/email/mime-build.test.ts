import { createEmailConnector, messageIdFor, smtpCredentials, type EmailConnector } from '../../connectors/email/index'
import { buildMessage } from '../../connectors/email/mime'
import type { ChannelContent } from '../../connectors/types'
import { contactScope } from '../../domain/email/liquid'
import { renderEmail } from '../../domain/email/template'
import { startSmtpServer, type CapturedMessage, type TestSmtpServer } from '../servers/smtp'

// Decision 117: the connector builds the MIME message itself and hands it to nodemailer as `raw`. What
// reaches the SMTP server must be what nodemailer's MailComposer builds for the same message: every header
// (but Date) and every part, byte for byte; only the random boundary differs.

let smtp: TestSmtpServer
let built: EmailConnector
let composed: EmailConnector
beforeAll(async () => {
  smtp = await startSmtpServer()
  built = createEmailConnector({ maxConnections: 1, allowPrivateNetworkHosts: true })
  composed = createEmailConnector({ maxConnections: 1, allowPrivateNetworkHosts: true, buildMime: false })
})
afterAll(async () => {
  built?.close()
  composed?.close()
  await smtp?.close()
})

type Email = NonNullable<ChannelContent['email']>
const credentials = () => smtpCredentials({ host: smtp.host, port: smtp.port, security: 'none' })

/** A drip message as the runner renders it: merged values, signed unsubscribe, tracked links, open pixel. */
function rendered(i: number, name: string): Email {
  const token = `tok${i}.${'x'.repeat(40 + i)}`
  const email = renderEmail({
    template: { subject: 'Week 1 tips for {{ first_name | "you" }}', markdown: `# Hello {{ name | "reader" }}\n\nThis week: **three** things.\n\n- one\n- two\n- [three](https://example.com/three?utm=drip&n=${i})\n` },
    scope: { contact: contactScope({ email: `r${i}@rcpt.test`, name, timezone: null, fields: {} }) },
    postalAddress: '1 Main St, Springfield',
    unsubscribeUrl: `https://app.example/u/${token}`,
    preferencesUrl: `https://app.example/p/${token}`,
    trackClick: (url) => `https://app.example/t/c/${token}.${Buffer.from(url).toString('base64url')}`,
    openPixelUrl: `https://app.example/t/o/${token}.gif`,
  })
  return {
    from: { name: 'Bench', address: 'bench@sender.test' },
    to: `r${i}@rcpt.test`,
    ...email,
    listUnsubscribe: { url: `https://app.example/u/${token}`, mailto: `mailto:bench@sender.test?subject=unsubscribe%20${token}` },
  }
}

const base = rendered(0, 'Ann')
/** Inputs the connector builds itself (buildMessage gives a message), each unlike the others in one way. */
const builtCases: Array<[string, Email]> = [
  ['a rendered drip message', base],
  ['a name that needs quoting, a reply-to, a long subject that folds', { ...base, from: { name: 'O\'Brien & Co. (news)', address: 'news@sender.test' }, replyTo: 'reply@sender.test', subject: `A long subject ${'word '.repeat(30)}end` }],
  ['non-ASCII subject, sender name and body (quoted-printable text part)', { ...rendered(1, 'Zoë Ångström'), from: { name: 'Café Équipe', address: 'cafe@sender.test' }, subject: 'Ünïcödé for Zoë — ✓', text: 'Grüße, Zoë!\n\nÇa va? Here is this week’s note, with a few accents: café, naïve, résumé.' }],
  ['lines over 76 characters, "=" and leading dots, trailing whitespace', { ...base, text: `${'long line '.repeat(20)}\n.leading dot\nequals = sign \t \n`, html: `<p>${'x'.repeat(300)}</p>\n.<b>dot</b> a=b   \t` }],
  ['no List-Unsubscribe, a bare from address', { ...base, from: { name: '', address: 'plain@sender.test' }, listUnsubscribe: undefined }],
  ['an https unsubscribe without mailto, a long URL that folds', { ...base, listUnsubscribe: { url: `https://app.example/u/${'y'.repeat(120)}` } }],
  ['a recipient with plus and capitals', { ...base, to: 'Ann.Smith+drip@Rcpt.Test' }],
]
/** Inputs nodemailer builds (buildMessage says no): they must still arrive as before. */
const composedCases: Array<[string, Email]> = [
  ['a mostly non-latin body (base64)', { ...base, text: '日本語のテキスト'.repeat(20), html: `<p>${'日本語'.repeat(40)}</p>` }],
  ['no text part', { ...base, text: '' }],
  ['a list URL with a space', { ...base, listUnsubscribe: { url: 'https://app.example/u/a b' } }],
]

/** The message without what is meant to differ: the Date header and the random part of the boundary. */
const comparable = (m: CapturedMessage) => ({
  envelope: m.envelope,
  raw: m.raw.replace(/^Date: .*\r\n/m, 'Date: (removed)\r\n').replace(/--_NmP-[0-9a-f]{16}-Part_/g, '--_NmP-(random)-Part_'),
})

async function sendBoth(email: Email, key: string): Promise<[CapturedMessage, CapturedMessage]> {
  const before = smtp.messages.length
  await composed.publish({ credentials: credentials(), idempotencyKey: key, content: { parts: [], email } })
  await built.publish({ credentials: credentials(), idempotencyKey: key, content: { parts: [], email } })
  const [a, b] = (await smtp.waitForMessages(before + 2)).slice(before)
  return [a!, b!]
}

describe('the MIME message built by the connector (decision 117)', () => {
  it.each(builtCases)('equals nodemailer’s byte for byte: %s', async (_name, email) => {
    expect(buildMessage({ ...email, messageId: '<x@y>' })).not.toBeNull()
    const [old, now] = await sendBoth(email, `k:${_name}`)
    expect(comparable(now)).toEqual(comparable(old))
    expect(now.raw).toMatch(/^Date: \w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d \+0000\r\n/m)
    expect(now.parsed.messageId).toBe(messageIdFor({ idempotencyKey: `k:${_name}`, fromAddress: email.from.address }))
  })

  it.each(composedCases)('is left to nodemailer where it would differ: %s', async (_name, email) => {
    expect(buildMessage({ ...email, messageId: '<x@y>' })).toBeNull()
    const [old, now] = await sendBoth(email, `k:${_name}`)
    expect(comparable(now)).toEqual(comparable(old))
  })

  it('keeps every per-recipient field per recipient (To, Subject, Message-ID, List-Unsubscribe, links, pixel) across many messages of one sender', async () => {
    const emails = [1, 2, 3, 4].map((i) => rendered(i, ['Ann', 'Bob', 'Zoë', 'Dee'][i - 1]!))
    const before = smtp.messages.length
    // The built messages first, back to back: anything made once per sender and wrongly reused would show up in the later ones.
    for (const [i, email] of emails.entries()) await built.publish({ credentials: credentials(), idempotencyKey: `many:${i}`, content: { parts: [], email } })
    for (const [i, email] of emails.entries()) await composed.publish({ credentials: credentials(), idempotencyKey: `many:${i}`, content: { parts: [], email } })
    const messages = (await smtp.waitForMessages(before + 8)).slice(before)
    for (const [i, email] of emails.entries()) {
      const now = messages[i]!
      expect(comparable(now)).toEqual(comparable(messages[i + 4]!))
      expect(now.envelope.to).toEqual([email.to])
      expect(now.parsed.subject).toBe(email.subject)
      expect(now.parsed.html).toBe(email.html)
      expect(now.raw).toContain(`tok${i + 1}.`)
    }
    expect(new Set(messages.slice(0, 4).map((m) => m.parsed.messageId)).size).toBe(4)
  })
})
