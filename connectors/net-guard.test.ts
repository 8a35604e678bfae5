import net from 'node:net'
import { ADDRESS_NOT_ALLOWED, createNetGuard, isAddressNotAllowed, isPublicAddress } from './net-guard'

describe('isPublicAddress', () => {
  it.each([
    '127.0.0.1', '127.255.255.254', '2130706433', '0x7f.0.0.1', '0x7f000001', '0177.0.0.1', '127.1', '127.0.1',
    '10.0.0.1', '172.16.0.1', '172.31.255.255', '192.168.1.1', '169.254.169.254', '169.254.0.1', '100.64.0.1', '100.127.255.255',
    '0.0.0.0', '0', '224.0.0.1', '239.255.255.250', '255.255.255.255', '192.0.2.1', '198.18.0.1', '240.0.0.1',
    '::1', '::', '[::1]', 'fe80::1', 'fe80::1%eth0', 'febf::1', 'fc00::1', 'fd12:3456::1', 'ff02::1',
    '::ffff:127.0.0.1', '[::ffff:127.0.0.1]', '::ffff:7f00:1', '::ffff:10.0.0.1', '::ffff:169.254.169.254', '::127.0.0.1', '::ffff:0:127.0.0.1',
    '64:ff9b::127.0.0.1', '64:ff9b::10.0.0.1', '64:ff9b:1::8.8.8.8', '2002:7f00:1::1', '2002:a00:1::1', '2001::1', '2001:db8::1',
    'localhost', 'example.com', '', '1.2.3.4.5',
  ])('refuses %s', (address) => {
    expect(isPublicAddress(address)).toBe(false)
  })

  it.each(['8.8.8.8', '1.1.1.1', '172.32.0.1', '100.128.0.1', '93.184.215.14', '2606:4700:4700::1111', '[2a00:1450:4001::200e]', '::ffff:8.8.8.8', '64:ff9b::8.8.8.8', '2002:808:808::1'])(
    'allows the public address %s',
    (address) => {
      expect(isPublicAddress(address)).toBe(true)
    },
  )
})

/** A real TCP server on loopback that counts connections (anything that got through the guard). */
async function countingServer() {
  let connections = 0
  const sockets = new Set<net.Socket>()
  const server = net.createServer((socket) => {
    connections++
    sockets.add(socket)
    socket.on('error', () => {}).on('close', () => sockets.delete(socket))
    socket.end('HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok')
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    port: (server.address() as net.AddressInfo).port,
    get connections() {
      return connections
    },
    close: () => {
      for (const socket of sockets) socket.destroy()
      return new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

// Every way of writing a loopback, private, link-local or unspecified address that needs no DNS server
// (`localhost` resolves from the hosts file).
const LOOPBACK_HOSTS = ['127.0.0.1', 'localhost', '2130706433', '0x7f.0.0.1', '0177.0.0.1', '127.1', '[::ffff:127.0.0.1]', '[::ffff:7f00:1]', '[::1]', '0.0.0.0', '0']
const OTHER_PRIVATE = ['10.0.0.1', '172.16.0.1', '192.168.0.1', '169.254.169.254', '100.64.0.1', '[fd00::1]', '[fe80::1]', '[::ffff:169.254.169.254]', '[64:ff9b::a9fe:a9fe]']

describe('createNetGuard', () => {
  let server: Awaited<ReturnType<typeof countingServer>>
  beforeAll(async () => {
    server = await countingServer()
  })
  afterAll(async () => {
    await server?.close()
  })

  it('refuses every encoding of a private address for fetch and connect, without connecting', async () => {
    const guard = createNetGuard()
    for (const host of [...LOOPBACK_HOSTS, ...OTHER_PRIVATE]) {
      const fetched = await guard.fetch(`http://${host}:${server.port}/`).then(() => null, (error: unknown) => error)
      expect(isAddressNotAllowed(fetched), `fetch ${host}`).toBe(true)
      const connected = await guard.connect({ host: host.replace(/^\[(.*)\]$/, '$1'), port: server.port, timeoutMs: 2000 }).then((s) => (s.destroy(), null), (error: Error) => error)
      expect(connected?.message, `connect ${host}`).toBe(ADDRESS_NOT_ALLOWED)
    }
    expect(server.connections).toBe(0)
    await guard.close()
  })

  it('answers the same for an open and a closed port', async () => {
    const guard = createNetGuard()
    const closed = await guard.connect({ host: '127.0.0.1', port: 1, timeoutMs: 2000 }).catch((error: Error) => error)
    const open = await guard.connect({ host: '127.0.0.1', port: server.port, timeoutMs: 2000 }).catch((error: Error) => error)
    expect((closed as Error).message).toBe(ADDRESS_NOT_ALLOWED)
    expect((open as Error).message).toBe(ADDRESS_NOT_ALLOWED)
    await guard.close()
  })

  it('reaches loopback when ALLOW_PRIVATE_NETWORK_HOSTS allows it, through the pinned lookup', async () => {
    const guard = createNetGuard({ allowPrivateNetworkHosts: true })
    const before = server.connections
    expect(await (await guard.fetch(`http://localhost:${server.port}/`)).text()).toBe('ok')
    const socket = await guard.connect({ host: 'localhost', port: server.port, timeoutMs: 2000 })
    expect(['127.0.0.1', '::1', '::ffff:127.0.0.1']).toContain(socket.remoteAddress)
    socket.destroy()
    expect(server.connections).toBe(before + 2)
    await guard.close()
  })

  it('fails a lookup whose answers include a private address', async () => {
    const guard = createNetGuard()
    const error = await new Promise<Error | null>((resolve) => guard.lookup('localhost', { all: true }, (e) => resolve(e)))
    expect(isAddressNotAllowed(error)).toBe(true)
    const open = createNetGuard({ allowPrivateNetworkHosts: true })
    const answers = await new Promise<unknown>((resolve, reject) => open.lookup('localhost', { all: true }, (e, a) => (e ? reject(e) : resolve(a))))
    expect(answers).toEqual(expect.arrayContaining([expect.objectContaining({ family: expect.any(Number) })]))
    await guard.close()
    await open.close()
  })
})
