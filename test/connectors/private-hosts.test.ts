import { randomUUID } from 'node:crypto'
import net from 'node:net'
import { SMTPServer } from 'smtp-server'
import { createBlueskyConnector } from '../../connectors/bluesky/index'
import { createEmailConnector, smtpCredentials, type SmtpSettings } from '../../connectors/email/index'
import { createMastodonConnector } from '../../connectors/mastodon/index'
import { ConnectorError, type ChannelContent } from '../../connectors/types'
import { startMastodonApiServer, type MastodonApiServer } from '../servers/mastodon-api'
import { startSmtpServer, type TestSmtpServer } from '../servers/smtp'

/**
 * ASVS V1.3.6 through the real connectors: with ALLOW_PRIVATE_NETWORK_HOSTS off (the connectors'
 * default), a Mastodon instance, a Bluesky PDS or an SMTP server on a loopback, private or link-local
 * address is refused in every encoding, before anything is connected to, with "this server address is
 * not allowed". The loopback servers count connections, so "refused" means nothing reached them.
 */

// DNS-free spellings of loopback (`localhost` comes from the hosts file), then other private ranges.
const LOOPBACK = ['127.0.0.1', 'localhost', '2130706433', '0x7f.0.0.1', '0177.0.0.1', '127.1', '[::ffff:127.0.0.1]', '[::1]', '0.0.0.0']
const PRIVATE = ['10.0.0.1', '172.16.0.1', '192.168.0.1', '169.254.169.254', '100.64.0.1', '[fd00::1]', '[fe80::1]', '[::ffff:a9fe:a9fe]', '[64:ff9b::7f00:1]']

async function rejection(promise: Promise<unknown>): Promise<ConnectorError> {
  try {
    await promise
  } catch (error) {
    return error as ConnectorError
  }
  throw new Error('expected a rejection')
}

let mastodon: MastodonApiServer
let smtp: TestSmtpServer
/** Every TCP connection made to an `internalService` (the Mastodon and SMTP servers count apps and messages). */
let connections = 0

beforeAll(async () => {
  mastodon = await startMastodonApiServer()
  smtp = await startSmtpServer()
})
afterAll(async () => {
  await mastodon?.close()
  await smtp?.close()
})

/** A TCP listener that counts connections and answers nothing useful (stands for any internal service). */
async function internalService() {
  const sockets = new Set<net.Socket>()
  const server = net.createServer((socket) => {
    connections++
    sockets.add(socket)
    socket.on('error', () => {}).on('close', () => sockets.delete(socket))
    socket.end()
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    port: (server.address() as net.AddressInfo).port,
    close: () => {
      for (const socket of sockets) socket.destroy()
      return new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

describe('Mastodon with private hosts not allowed', () => {
  it('refuses the instance in every encoding and never connects', async () => {
    const service = await internalService()
    const connector = createMastodonConnector({ allowInsecureInstances: true, timeoutMs: 2000 })
    const registered = mastodon.counters.appsRegistered
    const mastodonPort = new URL(mastodon.url).port
    for (const host of [...LOOPBACK, ...PRIVATE]) {
      for (const server of [`https://${host}:${service.port}`, `http://${host}:${mastodonPort}`]) {
        const error = await rejection(connector.prepareAuthorization!({ redirectUri: 'http://127.0.0.1:1/oauth/mastodon/callback', server }))
        expect(error, server).toBeInstanceOf(ConnectorError)
        expect(error.message, server).toContain('this server address is not allowed')
        expect(error.kind, server).toBe('disconnected')
      }
    }
    const stored = { accessToken: 't', extra: { instanceUrl: `http://localhost:${mastodonPort}`, clientId: 'c', clientSecret: 's', accountId: '1' } }
    const publish = await rejection(connector.publish({ credentials: stored, content: { parts: [{ text: 'hi' }] }, idempotencyKey: randomUUID() }))
    expect(publish.kind).toBe('disconnected')
    expect(publish.message).toContain('this server address is not allowed')
    expect(connections).toBe(0)
    expect(mastodon.counters.appsRegistered).toBe(registered)
    await service.close()
  })

  it('still reaches the loopback instance when the development setting allows it', async () => {
    const connector = createMastodonConnector({ allowInsecureInstances: true, allowPrivateNetworkHosts: true, timeoutMs: 2000 })
    const prepared = await connector.prepareAuthorization!({ redirectUri: 'http://127.0.0.1:1/cb', server: mastodon.url.replace('127.0.0.1', 'localhost') })
    expect(prepared.instanceUrl).toMatch(/^http:\/\/localhost:\d+$/)
  })
})

const email = (label: string): ChannelContent => ({
  parts: [],
  email: { from: { address: 'news@sender.test' }, to: 'reader@rcpt.test', subject: label, html: `<p>${label}</p>`, text: label },
})

describe('SMTP with private hosts not allowed', () => {
  it('refuses the SMTP server in every encoding and never connects', async () => {
    const service = await internalService()
    const connector = createEmailConnector({ connectTimeoutMs: 2000 })
    const before = smtp.messages.length
    for (const host of [...LOOPBACK, ...PRIVATE, '::1', '::ffff:127.0.0.1']) {
      for (const port of [smtp.port, service.port]) {
        const credentials = smtpCredentials({ host, port, security: 'none' })
        const error = await rejection(connector.publish({ credentials, content: email(host), idempotencyKey: randomUUID() }))
        expect(error, host).toBeInstanceOf(ConnectorError)
        expect(error.message, `${host}:${port}`).toBe('The SMTP server: this server address is not allowed')
        expect(error.kind, host).toBe('disconnected')
      }
    }
    expect(connections).toBe(0)
    expect(smtp.messages.length).toBe(before)
    connector.close()
    await service.close()
  })

  it('refuses a host with a line break, a space or a scheme before connecting', async () => {
    const connector = createEmailConnector({ allowPrivateNetworkHosts: true })
    for (const host of ['127.0.0.1\r\nMAIL FROM:<x@y>', '127.0.0.1 ', 'smtp://127.0.0.1', '127.0.0.1:25', 'a/b']) {
      const error = await rejection(connector.publish({ credentials: smtpCredentials({ host, port: smtp.port, security: 'none' }), content: email('x'), idempotencyKey: randomUUID() }))
      expect(error.message, JSON.stringify(host)).toMatch(/SMTP host is not a host name or IP address/)
    }
    connector.close()
  })

  it('with the development setting on, tells an open port from a closed one by nothing, and speaks TLS on the guarded socket', async () => {
    const connector = createEmailConnector({ allowPrivateNetworkHosts: true, connectTimeoutMs: 2000 })
    const service = await internalService()
    const closed = await rejection(connector.publish({ credentials: smtpCredentials({ host: '127.0.0.1', port: 1, security: 'none' }), content: email('c'), idempotencyKey: randomUUID() }))
    const open = await rejection(connector.publish({ credentials: smtpCredentials({ host: '127.0.0.1', port: service.port, security: 'none' }), content: email('o'), idempotencyKey: randomUUID() }))
    expect(closed.message).toBe('The SMTP server: could not reach the server')
    expect(open.message).toBe(closed.message)
    expect([closed.kind, open.kind]).toEqual(['transient', 'transient'])
    await service.close()

    // Implicit TLS and STARTTLS on the socket the guard opened (smtp-server's built-in self-signed certificate).
    for (const security of ['tls', 'starttls'] as const) {
      const received: string[] = []
      const server = new SMTPServer({
        secure: security === 'tls',
        authOptional: true,
        logger: false,
        closeTimeout: 200,
        onData(stream, session, callback) {
          stream.resume().on('end', () => {
            received.push(String(session.secure))
            callback()
          })
        },
      })
      // The strict client below hangs up during the handshake: the server reports that as an error.
      server.on('error', () => {})
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
      const port = (server.server.address() as net.AddressInfo).port
      const settings: SmtpSettings = { host: 'localhost', port, security, allowSelfSigned: true }
      await connector.publish({ credentials: smtpCredentials(settings), content: email(security), idempotencyKey: randomUUID() })
      expect(received, security).toEqual(['true'])
      // Without allowSelfSigned the certificate is verified (against the host name, not the pinned address).
      const strict = await rejection(connector.publish({ credentials: smtpCredentials({ ...settings, allowSelfSigned: false }), content: email('strict'), idempotencyKey: randomUUID() }))
      expect(strict.kind).toBe('transient')
      expect(received).toHaveLength(1)
      await new Promise<void>((resolve) => server.close(() => resolve()))
    }
    connector.close()
  })
})

describe('Bluesky with private hosts not allowed', () => {
  const login = { identifier: 'alice.test', appPassword: 'aaaa-bbbb-cccc-dddd' }

  it('refuses the PDS in every encoding, for sign-in and for every call with stored credentials, and never connects', async () => {
    const service = await internalService()
    const before = connections
    // http:// allowed, so the address check alone refuses these (as a self-hosted PDS on the LAN would be).
    const connector = createBlueskyConnector({ allowInsecureServices: true, timeoutMs: 2000 })
    for (const host of [...LOOPBACK, ...PRIVATE]) {
      const server = `http://${host}:${service.port}`
      const error = await rejection(connector.connectWithAppPassword({ service: server, ...login }))
      expect(error, server).toBeInstanceOf(ConnectorError)
      expect(error.message, server).toContain('this server address is not allowed')
      expect(error.kind, server).toBe('disconnected')
    }
    const stored = { accessToken: 'a', refreshToken: 'r', extra: { service: `http://localhost:${service.port}`, did: 'did:plc:alice', handle: 'alice.test' } }
    const content = { parts: [{ text: 'hi' }, { text: 'again' }] }
    const calls = {
      publish: () => connector.publish({ credentials: stored, content, idempotencyKey: randomUUID() }),
      lookup: () => connector.lookup!({ credentials: stored, content, idempotencyKey: randomUUID(), since: new Date(0) }),
      refresh: () => connector.refreshCredentials!(stored),
      delete: () => connector.delete!({ credentials: stored, remoteId: 'at://did:plc:alice/app.bsky.feed.post/3kabcdefghijk' }),
    }
    for (const [name, call] of Object.entries(calls)) {
      const error = await rejection(call())
      expect(error, name).toBeInstanceOf(ConnectorError)
      expect({ name, kind: error.kind, message: error.message }).toEqual({ name, kind: 'disconnected', message: `http://localhost:${service.port}: this server address is not allowed` })
    }
    expect(connections).toBe(before)
    connector.close?.()
    await service.close()
  })

  it('reaches a PDS on loopback when the development setting allows it', async () => {
    const service = await internalService()
    const before = connections
    const connector = createBlueskyConnector({ allowInsecureServices: true, allowPrivateNetworkHosts: true, timeoutMs: 2000 })
    // The stand-in hangs up without answering: the sign-in fails, but only after connecting.
    const error = await rejection(connector.connectWithAppPassword({ service: `http://localhost:${service.port}`, ...login }))
    expect(error).toBeInstanceOf(ConnectorError)
    expect(error.message).not.toContain('not allowed')
    expect(connections).toBeGreaterThan(before)
    connector.close?.()
    await service.close()
  })
})
