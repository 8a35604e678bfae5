import { generateKeyPairSync } from 'node:crypto'
import { createEmailConnector, isEmailBounce, messageIdFor, smtpCredentials, type EmailConnector } from '../../connectors/email/index'
import { ConnectorError, type ChannelContent } from '../../connectors/types'
import { contactScope } from '../../domain/email/liquid'
import { renderEmail } from '../../domain/email/template'
import { rawHeaders, startSmtpServer, type TestSmtpServer } from '../servers/smtp'

let smtp: TestSmtpServer
let connector: EmailConnector
beforeAll(async () => {
  smtp = await startSmtpServer()
  connector = createEmailConnector({ maxConnections: 2, allowPrivateNetworkHosts: true })
})
afterAll(async () => {
  connector?.close()
  await smtp?.close()
})

const credentials = () => smtpCredentials({ host: smtp.host, port: smtp.port, security: 'none' })

function content(to: string, values: { name?: string; first_name?: string; plan?: string | null } = {}): ChannelContent {
  const contact = contactScope({ email: to, name: values.name ?? null, timezone: null, fields: { plan: values.plan ?? null } })
  const rendered = renderEmail({
    template: { subject: 'Hello {{ first_name | "friend" }}', markdown: 'Hi **{{ name | "there" }}**, your plan: {{ plan | "free" }}.' },
    scope: { contact: { ...contact, first_name: values.first_name ?? contact.first_name } },
    postalAddress: '1 Main St, Springfield',
    unsubscribeUrl: 'https://app.test/u/abc',
  })
  return {
    parts: [],
    email: {
      from: { name: 'Trickle Team', address: 'news@sender.test' },
      to,
      ...rendered,
      listUnsubscribe: { url: 'https://app.test/u/abc', mailto: 'mailto:unsubscribe@sender.test?subject=unsubscribe-abc' },
    },
  }
}

describe('email connector over SMTP', () => {
  it('delivers with one List-Unsubscribe (https + mailto), one-click Post, a deterministic Message-ID and escaped merge fields', async () => {
    const before = smtp.messages.length
    const first = await connector.publish({ credentials: credentials(), content: content('ann@rcpt.test', { name: '<Ann & Co>', first_name: '', plan: null }), idempotencyKey: 'enr-1:step-1' })
    const again = await connector.publish({ credentials: credentials(), content: content('ann@rcpt.test'), idempotencyKey: 'enr-1:step-1' })
    const other = await connector.publish({ credentials: credentials(), content: content('ann@rcpt.test'), idempotencyKey: 'enr-1:step-2' })
    expect(first.remoteId).toBe(again.remoteId)
    expect(other.remoteId).not.toBe(first.remoteId)
    expect(first.remoteId).toBe(messageIdFor({ idempotencyKey: 'enr-1:step-1', fromAddress: 'news@sender.test' }))

    const [message, repeat] = (await smtp.waitForMessages(before + 3)).slice(before)
    expect(message!.parsed.messageId).toBe(first.remoteId)
    expect(repeat!.parsed.messageId).toBe(first.remoteId)
    const headers = rawHeaders(message!.raw)
    const unsubscribe = headers.filter((h) => h.name === 'list-unsubscribe')
    expect(unsubscribe).toHaveLength(1)
    expect(unsubscribe[0]!.value).toMatch(/^<https:\/\/app\.test\/u\/abc>, ?<mailto:unsubscribe@sender\.test\?subject=unsubscribe-abc>$/)
    expect(headers.filter((h) => h.name === 'list-unsubscribe-post').map((h) => h.value)).toEqual(['List-Unsubscribe=One-Click'])
    expect(message!.parsed.subject).toBe('Hello friend')
    expect(message!.parsed.html).toContain('Hi <strong>&lt;Ann &amp; Co&gt;</strong>, your plan: free.')
    expect(message!.parsed.text).toContain('Hi <Ann & Co>, your plan: free.')
    expect(message!.parsed.text).toContain('1 Main St, Springfield')
    expect(message!.envelope).toEqual({ from: 'news@sender.test', to: ['ann@rcpt.test'] })
  })

  it('turns a 550 recipient rejection into a hard bounce and a refused connection into a transient error', async () => {
    smtp.rejected.add('gone@rcpt.test')
    const error = await connector.publish({ credentials: credentials(), content: content('gone@rcpt.test'), idempotencyKey: 'k-bounce' }).catch((e: unknown) => e)
    expect(isEmailBounce(error)).toBe(true)
    expect(error).toMatchObject({ kind: 'invalid-content', recipient: 'gone@rcpt.test', detail: { status: 550, code: 'hard_bounce' } })

    const closed = smtpCredentials({ host: '127.0.0.1', port: 1, security: 'none' })
    const refused = await connector.publish({ credentials: closed, content: content('x@rcpt.test'), idempotencyKey: 'k-refused' }).catch((e: unknown) => e)
    expect(refused).toBeInstanceOf(ConnectorError)
    expect((refused as ConnectorError).kind).toBe('transient')
  })

  it('refuses content without an email and a subject with a line break', async () => {
    expect(connector.validate({ parts: [{ text: 'x' }] })).toEqual([expect.objectContaining({ path: 'email' })])
    const bad = content('a@rcpt.test')
    bad.email!.subject = 'a\r\nBcc: evil@x.test'
    await expect(connector.publish({ credentials: credentials(), content: bad, idempotencyKey: 'k' })).rejects.toMatchObject({ kind: 'invalid-content' })
  })
})

describe('SMTP AUTH and DKIM', () => {
  let authSmtp: TestSmtpServer
  beforeAll(async () => {
    authSmtp = await startSmtpServer({ users: { mailer: 's3cret' } })
  })
  afterAll(async () => {
    await authSmtp?.close()
  })

  it('logs in, signs with DKIM, and reports wrong credentials as an auth error', async () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 1024, privateKeyEncoding: { type: 'pkcs8', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } })
    const good = smtpCredentials({
      host: authSmtp.host,
      port: authSmtp.port,
      security: 'none',
      user: 'mailer',
      password: 's3cret',
      dkim: { domainName: 'sender.test', keySelector: 'trickle', privateKey },
    })
    await connector.publish({ credentials: good, content: content('bob@rcpt.test'), idempotencyKey: 'k-dkim' })
    const [message] = await authSmtp.waitForMessages(1)
    expect(rawHeaders(message!.raw).find((h) => h.name === 'dkim-signature')?.value).toMatch(/d=sender\.test; .*s=trickle/s)

    const wrong = smtpCredentials({ host: authSmtp.host, port: authSmtp.port, security: 'none', user: 'mailer', password: 'nope' })
    await expect(connector.publish({ credentials: wrong, content: content('bob@rcpt.test'), idempotencyKey: 'k-auth' })).rejects.toMatchObject({ kind: 'auth' })
  })
})
