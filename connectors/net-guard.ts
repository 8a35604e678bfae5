import dns from 'node:dns'
import net from 'node:net'
import ipaddr from 'ipaddr.js'
import { Agent, buildConnector } from 'undici'

/**
 * The one guard every outbound connection to a user-given host goes through (a Mastodon instance, a
 * sender's SMTP server, later webhooks): OWASP ASVS 5.0 V1.3.6. A name is resolved once and every
 * answer must be a public unicast address; the connection is then made to the address that was
 * checked (a custom `lookup`, so a DNS answer that changes between check and connect changes
 * nothing), and the connected socket's peer address is checked once more. IP literals in any
 * encoding (decimal, octal, hex, short forms, IPv4-mapped/-compatible IPv6, NAT64, 6to4) are
 * normalised by ipaddr.js or by the resolver before the check. The operator setting
 * `ALLOW_PRIVATE_NETWORK_HOSTS` (development and tests) turns the address check off, nothing else.
 *
 * Errors say only "this server address is not allowed" or "could not reach the server": never
 * whether a port was open or closed.
 */

export const ADDRESS_NOT_ALLOWED = 'this server address is not allowed'
export const SERVER_UNREACHABLE = 'could not reach the server'

/** A connection to a user-given host was refused by the guard before (or instead of) being used. */
export class AddressNotAllowedError extends Error {
  override name = 'AddressNotAllowedError'
  readonly code = 'EADDRNOTALLOWED'
  constructor() {
    super(ADDRESS_NOT_ALLOWED)
  }
}

/** Whether `error` or any error in its `cause` chain is the guard's refusal. */
export function isAddressNotAllowed(error: unknown): boolean {
  for (let e = error, depth = 0; e && depth < 8; e = (e as { cause?: unknown }).cause, depth++) {
    if (e instanceof AddressNotAllowedError || (e as { code?: unknown }).code === 'EADDRNOTALLOWED') return true
  }
  return false
}

/**
 * Pure: is `address` (an IP address in any notation ipaddr.js reads, `[…]` brackets allowed) a public
 * unicast address? Everything else is refused: loopback, private (10/8, 172.16/12, 192.168/16),
 * link-local (169.254/16 with the cloud metadata address, fe80::/10), CGNAT (100.64/10), unique-local
 * (fc00::/7), unspecified, multicast, broadcast, reserved and documentation ranges, and an IPv4
 * address carried inside IPv6 (mapped, compatible, SIIT, NAT64, 6to4) unless that address is public.
 * Not an IP address at all: false.
 */
export function isPublicAddress(address: string): boolean {
  const bare = address.replace(/^\[(.*)\]$/, '$1')
  if (!ipaddr.isValid(bare)) return false
  const ip = ipaddr.parse(bare)
  if (ip.kind() === 'ipv4') return (ip as ipaddr.IPv4).range() === 'unicast'
  const v6 = ip as ipaddr.IPv6
  const bytes = v6.toByteArray()
  const embedded = (offset: number) => new ipaddr.IPv4(bytes.slice(offset, offset + 4)).range() === 'unicast'
  // ::a.b.c.d (IPv4-compatible, with :: and ::1), ::ffff:a.b.c.d (mapped), ::ffff:0:a.b.c.d (SIIT).
  if (bytes.slice(0, 8).every((b) => b === 0)) {
    const middle = bytes.slice(8, 12).join('.')
    return (middle === '0.0.0.0' || middle === '0.0.255.255' || middle === '255.255.0.0') && embedded(12)
  }
  switch (v6.range()) {
    case 'unicast':
      return true
    case 'rfc6052':
      // 64:ff9b::/96 carries a public IPv4 address; the local-use 64:ff9b:1::/48 is never public.
      return v6.match(ipaddr.IPv6.parse('64:ff9b::'), 96) && embedded(12)
    case '6to4':
      return embedded(2)
    default:
      return false
  }
}

export type NetGuardOptions = {
  /** Development and tests only: allow loopback, private and link-local addresses (ALLOW_PRIVATE_NETWORK_HOSTS). */
  allowPrivateNetworkHosts?: boolean
}

export type GuardedConnectArgs = { host: string; port: number; timeoutMs: number }

export type NetGuard = {
  /** `dns.lookup` that fails with AddressNotAllowedError when any answer is not a public address. */
  lookup: net.LookupFunction
  /** Whether a connected socket's peer (or any IP address) may be talked to. */
  allows(address: string): boolean
  /** Resolves when `host` (a name or an IP literal) may be connected to; else rejects with AddressNotAllowedError (or the DNS error). */
  checkHost(host: string): Promise<void>
  /** `fetch` whose every connection (redirects included) goes through the guard. */
  fetch: typeof fetch
  /** A TCP connection to a user-given host through the guard (for protocols other than HTTP: SMTP). */
  connect(args: GuardedConnectArgs): Promise<net.Socket>
  close(): Promise<void>
}

type LookupAnswer = { address: string; family: number }

export function createNetGuard(options: NetGuardOptions = {}): NetGuard {
  const allowAll = options.allowPrivateNetworkHosts === true
  const allows = (address: string) => allowAll || isPublicAddress(address)

  const lookup = ((hostname: string, lookupOptions: dns.LookupOptions, callback: (...args: unknown[]) => void) => {
    dns.lookup(hostname, { ...lookupOptions, all: true }, (error, answers: LookupAnswer[]) => {
      if (error) return callback(error)
      if (answers.length === 0 || answers.some((a) => !allows(a.address))) return callback(new AddressNotAllowedError())
      if (lookupOptions.all) return callback(null, answers)
      callback(null, answers[0]!.address, answers[0]!.family)
    })
  }) as net.LookupFunction

  /** An IP literal is never looked up (net.connect skips `lookup` for one): check it here. */
  function checkLiteral(host: string): void {
    const bare = host.replace(/^\[(.*)\]$/, '$1')
    if (net.isIP(bare) && !allows(bare)) throw new AddressNotAllowedError()
  }

  const connector = buildConnector({ lookup } as buildConnector.BuildOptions)
  const dispatcher = new Agent({
    connect(connectOptions, callback) {
      try {
        checkLiteral(connectOptions.hostname)
      } catch (error) {
        return callback(error as Error, null)
      }
      connector(connectOptions, (error, socket) => {
        if (error || !socket) return callback(error ?? new Error(SERVER_UNREACHABLE), null)
        if (!allows(socket.remoteAddress ?? '')) {
          socket.destroy()
          return callback(new AddressNotAllowedError(), null)
        }
        callback(null, socket)
      })
    },
  })

  /** Refuse early what a connection would refuse (a name is resolved once more, and pinned, at connect). */
  function checkHost(host: string): Promise<void> {
    const bare = host.replace(/^\[(.*)\]$/, '$1')
    if (allowAll) return Promise.resolve()
    if (net.isIP(bare)) return allows(bare) ? Promise.resolve() : Promise.reject(new AddressNotAllowedError())
    return new Promise((resolve, reject) => lookup(bare, { all: true }, (error) => (error ? reject(error) : resolve())))
  }

  // The host is checked before fetch runs (fetch refuses some ports before it connects, and that
  // error must not differ from the one for any other port); every connection is checked again.
  const guardedFetch = (async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = new URL(input instanceof Request ? input.url : input)
    await checkHost(url.hostname)
    return fetch(input, { ...init, dispatcher } as RequestInit)
  }) as typeof fetch

  function connect(args: GuardedConnectArgs): Promise<net.Socket> {
    return new Promise((resolve, reject) => {
      try {
        checkLiteral(args.host)
      } catch (error) {
        return reject(error)
      }
      const socket = net.connect({ host: args.host.replace(/^\[(.*)\]$/, '$1'), port: args.port, lookup })
      const fail = (error: Error) => {
        clearTimeout(timer)
        socket.destroy()
        reject(error)
      }
      const timer = setTimeout(() => fail(Object.assign(new Error(SERVER_UNREACHABLE), { code: 'ETIMEDOUT' })), args.timeoutMs)
      socket.once('error', fail)
      socket.once('connect', () => {
        if (!allows(socket.remoteAddress ?? '')) return fail(new AddressNotAllowedError())
        clearTimeout(timer)
        socket.off('error', fail)
        resolve(socket)
      })
    })
  }

  return { lookup, allows, checkHost, fetch: guardedFetch, connect, close: () => dispatcher.close() }
}
