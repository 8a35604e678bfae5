import net from 'node:net'
import type { Connector, Credentials } from '../../connectors/types'
import type { ConnectorHarness } from './connector'

/**
 * What a loopback server of a network without OAuth app state must offer for the contract suite: a count
 * of the posts it created and faults for the next publish request (test/servers/faults.ts).
 */
export type FaultingServer = {
  counters: { postsCreated: number }
  injectFault(
    fault: { kind: 'rate-limit'; resetAt: Date } | { kind: 'unavailable'; apply?: boolean } | { kind: 'reset'; apply: true },
  ): void
  close(): Promise<void>
}

/**
 * The contract suite's harness for a connector in front of such a server (Telegram, Discord, Slack,
 * LinkedIn, Threads…): the faults are the server's own, the credentials are the test's.
 */
export function tokenNetworkHarness(args: { server: FaultingServer; connector: Connector; credentials: () => Promise<Credentials> | Credentials }): ConnectorHarness {
  const { server } = args
  return {
    connector: args.connector,
    credentials: async () => args.credentials(),
    postsCreated: () => server.counters.postsCreated,
    failNextPublishWithRateLimit: (resetAt) => server.injectFault({ kind: 'rate-limit', resetAt }),
    failNextPublishWithUnavailable: ({ apply } = {}) => server.injectFault({ kind: 'unavailable', apply }),
    resetNextPublishAfterApplying: () => server.injectFault({ kind: 'reset', apply: true }),
    close: () => server.close(),
  }
}

/** The rejection of `promise` (null when it resolves), for asserting on its kind and detail. */
export async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => null,
    (e: unknown) => e,
  )
}

/** A port nobody listens on (fetch refuses "bad ports" such as 1 before connecting). */
export async function closedPort(): Promise<number> {
  const server = net.createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as net.AddressInfo
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}
