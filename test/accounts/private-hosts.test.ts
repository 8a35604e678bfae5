import net from 'node:net'
import { signUpAs, startTestApp, type TestApp, type TestBrowser } from '../app-server'

/**
 * ASVS V1.3.6 through the real app with ALLOW_PRIVATE_NETWORK_HOSTS=false (production's default): the
 * Mastodon and Bluesky server fields refuse loopback, private and link-local addresses in every encoding
 * with "this server address is not allowed" and connect to nothing; the sender's SMTP host takes only a
 * host name or an IP address, with the error on the `host` field.
 */
let app: TestApp
let browser: TestBrowser
let connections = 0
let service: net.Server

beforeAll(async () => {
  service = net.createServer((socket) => {
    connections++
    socket.on('error', () => {})
    socket.end()
  })
  await new Promise<void>((resolve) => service.listen(0, '127.0.0.1', resolve))
  app = await startTestApp({ env: { ALLOW_PRIVATE_NETWORK_HOSTS: 'false' } })
  browser = await signUpAs(app, { email: 'owner@guard.test' })
})
afterAll(async () => {
  await app?.close()
  await new Promise<void>((resolve) => service?.close(() => resolve()))
})

describe('the Mastodon server field', () => {
  // 36 form posts through the app, each a page render: over the default 30 s on a machine at load ~12 (CI under other work).
  it('refuses every encoding of a private address over https, connecting to nothing', { timeout: 120_000 }, async () => {
    const port = (service.address() as net.AddressInfo).port
    const hosts = ['127.0.0.1', 'localhost', '2130706433', '0x7f.0.0.1', '127.1', '[::ffff:127.0.0.1]', '[::1]', '0.0.0.0', '10.0.0.1', '169.254.169.254', '100.64.0.1', '[fd00::1]']
    for (const host of hosts) {
      for (const server of [`https://${host}:${port}`, `https://${host}:1`, host]) {
        const response = await browser.submit('/app/accounts', { intent: 'connect', kind: 'mastodon', server })
        expect(response.status, server).toBe(400)
        expect(await response.text(), server).toContain('this server address is not allowed')
      }
    }
    expect(connections).toBe(0)
  })
})

describe('the Bluesky server field', () => {
  it('refuses private addresses and plain http under the server field, connecting to nothing', async () => {
    const port = (service.address() as net.AddressInfo).port
    for (const server of [`https://127.0.0.1:${port}`, `https://[::1]:${port}`, 'https://10.0.0.1', '169.254.169.254']) {
      const response = await browser.submit('/app/accounts', { intent: 'sign-in', kind: 'bluesky', identifier: 'alice.test', appPassword: 'aaaa-bbbb-cccc-dddd', server })
      expect(response.status, server).toBe(400)
      expect(await response.text(), server).toContain(`Could not sign in at ${server}: this server address is not allowed`)
    }
    const http = await browser.submit('/app/accounts', { intent: 'sign-in', kind: 'bluesky', identifier: 'alice.test', appPassword: 'aaaa-bbbb-cccc-dddd', server: 'http://pds.example.org' })
    expect(http.status).toBe(400)
    expect(await http.text()).toContain('Bluesky servers must be reached over https')
    expect(connections).toBe(0)
  })
})

describe('the SMTP host field', () => {
  const sender = (host: string) => ({
    intent: 'save-sender',
    fromName: 'Guard',
    fromEmail: 'news@guard.test',
    replyTo: '',
    postalAddress: '1 Main St',
    host,
    port: '587',
    security: 'starttls',
    user: '',
    password: '',
  })

  it('takes a host name or an IP address only, and names the field', async () => {
    for (const host of ['smtp.example.com\r\nRCPT TO:<victim@example.com>', 'smtp.example.com\nx', 'smtp example.com', 'smtp://smtp.example.com', 'smtp.example.com:25', 'smtp.example.com/x', '-bad.example.com']) {
      const response = await browser.submit('/app/contacts/sender', sender(host))
      expect(response.status, JSON.stringify(host)).toBe(400)
      const html = await response.text()
      expect(html, JSON.stringify(host)).toContain('The SMTP host must be a host name or IP address')
      expect(html).toMatch(/<input[^>]*name="host"[^>]*aria-invalid="true"|aria-invalid="true"[^>]*name="host"/)
    }
    for (const host of ['smtp.example.com', '203.0.113.7', '2001:db8::25']) {
      expect((await browser.submit('/app/contacts/sender', sender(host))).status, host).toBe(200)
    }
  })
})
