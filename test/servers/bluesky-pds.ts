import { createHmac, randomBytes } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import http from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { AtpAgent } from '@atproto/api'
import { Secp256k1Keypair } from '@atproto/crypto'
// Deep imports: the package index also loads the app view and moderation services (seconds of start-up).
import { TestPds } from '@atproto/dev-env/dist/pds.js'
import { mockNetworkUtilities } from '@atproto/dev-env/dist/util.js'
import { envToCfg, envToSecrets, PDS } from '@atproto/pds'
import { Database as PlcDatabase, PlcServer } from '@did-plc/server'
import { delayedAnswers } from './faults'

/**
 * A real Bluesky PDS (`@atproto/pds` as `@atproto/dev-env` 0.3.181 configures it) with an in-process PLC
 * directory on an in-memory database, both listening on 127.0.0.1 only. No app view, moderation service,
 * crawler or mail server is configured, and handles under `.test` resolve locally (dev-env's resolver
 * mocks), so nothing leaves the machine.
 *
 * Clients reach the PDS through `url`, a loopback proxy that forwards every request unchanged and can be
 * told to misbehave on the next matching request (429, 503 before or after the PDS applied the request, a
 * reset after the PDS applied it, a slow answer, a hang); it also counts the posts the PDS created.
 * `pdsUrl` is the PDS itself.
 */

export type BlueskyFault =
  | { kind: 'rate-limit'; resetAt: Date }
  /** 503 without forwarding; with `apply`, forward first (the PDS applies it), then answer 503. */
  | { kind: 'unavailable'; apply?: boolean }
  /** Forward (the PDS applies it), then answer only after `ms` milliseconds. */
  | { kind: 'slow'; ms: number }
  /** Forward, let the PDS apply it, then reset the client's connection instead of answering. */
  | { kind: 'reset' }
  /** Forward (the PDS applies it) and never answer. */
  | { kind: 'hang' }

export type BlueskyFaultRule = BlueskyFault & {
  /** XRPC method, e.g. `com.atproto.repo.createRecord`. */
  method: string
  /** Let this many matching requests through first. */
  after?: number
}

export type BlueskyTestAccount = { did: string; handle: string; password: string; appPassword: string }

export type BlueskyPds = {
  /** The proxy in front of the PDS: what connectors under test talk to. */
  url: string
  pdsUrl: string
  counters: { postsCreated: number }
  /** Milliseconds from the call until the PLC and the PDS were listening. */
  startMs: number
  injectFault(rule: BlueskyFaultRule): void
  /** A fresh account `<name>.test` with a password and an app password. */
  createAccount(name: string): Promise<BlueskyTestAccount>
  /** An access JWT the PDS itself would have issued for `did`, expired a minute ago. */
  expiredAccessToken(did: string): string
  close(): Promise<void>
}

const CREATE_RECORD = '/xrpc/com.atproto.repo.createRecord'
const POST_COLLECTION = 'app.bsky.feed.post'

/** Express apps listen on every interface; bind to loopback instead. */
function listenOnLoopback(app: { listen: unknown }) {
  app.listen = (port: number) => http.createServer(app as unknown as http.RequestListener).listen(port, '127.0.0.1')
}

async function freeLoopbackPort(): Promise<number> {
  const probe = http.createServer()
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve))
  const { port } = probe.address() as AddressInfo
  await new Promise((resolve) => probe.close(resolve))
  return port
}

export async function startBlueskyPds(): Promise<BlueskyPds> {
  const started = performance.now()
  const dataDirectory = await mkdtemp(path.join(os.tmpdir(), 'trickle-pds-'))

  const plc = PlcServer.create({ db: PlcDatabase.mock(), port: 0 })
  listenOnLoopback(plc.app)
  const plcHttp = await plc.start()
  const plcUrl = `http://127.0.0.1:${(plcHttp.address() as AddressInfo).port}`

  const port = await freeLoopbackPort()
  const rotationKey = await Secp256k1Keypair.create({ exportable: true })
  const env = {
    devMode: true,
    port,
    hostname: 'localhost',
    dataDirectory,
    blobstoreDiskLocation: path.join(dataDirectory, 'blobs'),
    didPlcUrl: plcUrl,
    recoveryDidKey: (await Secp256k1Keypair.create()).did(),
    plcRotationKeyK256PrivateKeyHex: Buffer.from(await rotationKey.export()).toString('hex'),
    adminPassword: randomBytes(12).toString('hex'),
    jwtSecret: randomBytes(24).toString('hex'),
    serviceHandleDomains: ['.test'],
    inviteRequired: false,
    disableSsrfProtection: true,
    crawlers: [],
  }
  const server = await PDS.create(envToCfg(env), envToSecrets(env))
  listenOnLoopback(server.app)
  await server.start()
  const pdsUrl = `http://127.0.0.1:${port}`
  mockNetworkUtilities(new TestPds(pdsUrl, port, server))
  const startMs = performance.now() - started

  const counters = { postsCreated: 0 }
  const faults: Array<BlueskyFaultRule & { skip: number }> = []
  const sockets = new Set<Socket>()
  const delayed = delayedAnswers()

  const proxy = http.createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      const body = Buffer.concat(chunks)
      const pathname = new URL(req.url ?? '/', 'http://proxy').pathname
      const rule = faults.find((f) => pathname === `/xrpc/${f.method}`)
      const fault = rule && rule.skip-- <= 0 ? faults.splice(faults.indexOf(rule), 1)[0] : undefined
      if (fault?.kind === 'rate-limit') {
        const reset = Math.ceil(fault.resetAt.getTime() / 1000)
        res.writeHead(429, {
          'content-type': 'application/json',
          'ratelimit-limit': '5000',
          'ratelimit-remaining': '0',
          'ratelimit-reset': String(reset),
          'ratelimit-policy': '5000;w=3600',
        })
        res.end(JSON.stringify({ error: 'RateLimitExceeded', message: 'Rate Limit Exceeded' }))
        return
      }
      const unavailable = () => {
        res.writeHead(503, { 'content-type': 'application/json' })
        res.end(JSON.stringify({ error: 'NotEnoughResources', message: 'the PDS is overloaded' }))
      }
      if (fault?.kind === 'unavailable' && !fault.apply) return unavailable()
      const upstream = http.request(
        { host: '127.0.0.1', port, method: req.method, path: req.url, headers: { ...req.headers, host: `127.0.0.1:${port}` } },
        (answer) => {
          const parts: Buffer[] = []
          answer.on('data', (chunk: Buffer) => parts.push(chunk))
          answer.on('end', () => {
            if (pathname === CREATE_RECORD && answer.statusCode === 200 && collectionOf(body) === POST_COLLECTION) counters.postsCreated++
            if (fault?.kind === 'reset') return req.socket.destroy()
            if (fault?.kind === 'hang') return
            if (fault?.kind === 'unavailable') return unavailable()
            const forward = () => {
              res.writeHead(answer.statusCode ?? 502, answer.headers)
              res.end(Buffer.concat(parts))
            }
            if (fault?.kind === 'slow') {
              return delayed.after(fault.ms, () => {
                if (!res.destroyed) forward()
              })
            }
            forward()
          })
        },
      )
      upstream.on('error', (error) => {
        res.writeHead(502, { 'content-type': 'application/json' })
        res.end(JSON.stringify({ error: 'UpstreamFailure', message: error.message }))
      })
      upstream.end(body)
    })
  })
  proxy.on('connection', (socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve))
  const url = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`

  return {
    url,
    pdsUrl,
    counters,
    startMs,
    injectFault: (rule) => faults.push({ ...rule, skip: rule.after ?? 0 }),
    async createAccount(name) {
      const agent = new AtpAgent({ service: pdsUrl })
      const handle = `${name}.test`
      const password = randomBytes(12).toString('hex')
      const { data } = await agent.createAccount({ handle, email: `${name}@trickle.test`, password })
      const appPassword = await agent.com.atproto.server.createAppPassword({ name: 'trickle' })
      return { did: data.did, handle, password, appPassword: appPassword.data.password }
    },
    expiredAccessToken(did) {
      const now = Math.floor(Date.now() / 1000)
      const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url')
      const unsigned = `${part({ typ: 'at+jwt', alg: 'HS256' })}.${part({ scope: 'com.atproto.appPass', aud: 'did:web:localhost', sub: did, iat: now - 7200, exp: now - 60 })}`
      return `${unsigned}.${createHmac('sha256', env.jwtSecret).update(unsigned).digest('base64url')}`
    },
    async close() {
      delayed.clear()
      for (const socket of sockets) socket.destroy()
      await new Promise((resolve) => proxy.close(resolve))
      await server.destroy()
      await plc.destroy()
      await rm(dataDirectory, { recursive: true, force: true })
    },
  }
}

function collectionOf(body: Buffer): string | undefined {
  try {
    return (JSON.parse(body.toString('utf8')) as { collection?: string }).collection
  } catch {
    return undefined
  }
}
