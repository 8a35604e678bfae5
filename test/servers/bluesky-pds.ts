import { createHmac, randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
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
import { delayedAnswers, faultQueue, type CommonFault, type FaultRule } from './faults'
import type { AppliedFault, HeldPost } from './x-api'

/**
 * A real Bluesky PDS (`@atproto/pds` as `@atproto/dev-env` 0.3.181 configures it) with an in-process PLC
 * directory on an in-memory database, both listening on 127.0.0.1 only. No app view, moderation service,
 * crawler or mail server is configured, and handles under `.test` resolve locally (dev-env's resolver
 * mocks), so nothing leaves the machine.
 *
 * Clients reach the PDS through `url`, a loopback proxy that forwards every request unchanged and can be
 * told to misbehave on matching requests with the faults the X and Mastodon loopback servers offer
 * (test/servers/faults.ts: 429, 503 before or after the PDS applied the request, a reset before or after
 * it applied it, a slow answer, a hang), and to hold post creations (`holdPosts`) while a test kills the
 * process that sent them. It counts the posts the PDS created and the creates it refused because the
 * record key was taken, and notes when each post was created. `pdsUrl` is the PDS itself.
 */

export type BlueskyFault =
  | { kind: 'rate-limit'; resetAt: Date }
  /** `unavailable`: 503; with `apply`, forwarded first (the PDS applies it). `slow`: forwarded, answered after `ms`. */
  | CommonFault
  /** Reset the client's connection instead of answering; with `apply`, after forwarding (the PDS applied it). */
  | { kind: 'reset'; apply?: boolean }
  /** Forward (the PDS applies it) and never answer. */
  | { kind: 'hang' }

/** `method` is the XRPC method, e.g. `com.atproto.repo.createRecord`. */
export type BlueskyFaultRule = FaultRule<BlueskyFault> & { method: string }

/** A post as the PDS's repository holds it (read past the proxy), with the URIs its reply names. */
export type BlueskyStoredPost = { uri: string; cid: string; text: string; reply?: { root: string; parent: string }; createdAt: string }

export type BlueskyPostCounts = { likeCount: number; repostCount: number; replyCount: number; quoteCount: number }

export type BlueskyTestAccount = { did: string; handle: string; password: string; appPassword: string }

export type BlueskyPds = {
  /** The proxy in front of the PDS: what connectors under test talk to. */
  url: string
  pdsUrl: string
  /** The PLC directory the PDS registers its accounts' DIDs with. */
  plcUrl: string
  /** `duplicatesRefused`: post creates the PDS refused because a record exists under the key (a resend). */
  counters: { postsCreated: number; duplicatesRefused: number }
  /** When the proxy saw the PDS answer each post creation (by the post's URI), whatever the client got. */
  createdAt: Map<string, Date>
  /** Milliseconds from the call until the PLC and the PDS were listening. */
  startMs: number
  injectFault(rule: BlueskyFaultRule): void
  /** The faults applied to post creations so far, with the text of the post each one hit. */
  faultsApplied: AppliedFault[]
  /**
   * Hold matching post creations (by the post's text): the PDS creates the post first when `apply`, then
   * `onHeld` gets the request, which never answers unless the test drops its connection.
   */
  holdPosts(match: (text: string) => { apply: boolean } | null, onHeld: (held: HeldPost) => void): void
  /** Every `app.bsky.feed.post` record in `did`'s repository, read from the PDS itself. */
  listPosts(did: string): Promise<BlueskyStoredPost[]>
  /**
   * The counts `app.bsky.feed.getPosts` reports for a post from now on. No app view runs here, so the
   * proxy answers that method itself, as the app view the PDS forwards it to would: each post's record
   * and CID read from the PDS, with these counts (zero for a post without any).
   */
  setPostMetrics(uri: string, counts: Partial<BlueskyPostCounts>): void
  /** A fresh account `<name>.test` with a password and an app password. */
  createAccount(name: string): Promise<BlueskyTestAccount>
  /** An access JWT the PDS itself would have issued for `did`, expired a minute ago. */
  expiredAccessToken(did: string): string
  /**
   * What ten minutes do to the PDS's OAuth provider: it forgets the clients' JWKS documents it fetched
   * (`@atproto/oauth-provider` keeps each for 600 s and does not fetch again for a key it does not know).
   */
  forgetClientKeys(): void
  close(): Promise<void>
}

const CREATE_RECORD = 'com.atproto.repo.createRecord'
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
  // In memory where there is /dev/shm: the PDS's SQLite databases fsync every commit (synchronous=FULL),
  // which a disk shared with other test runs makes slow and uneven.
  const dataDirectory = await mkdtemp(path.join(existsSync('/dev/shm') ? '/dev/shm' : os.tmpdir(), 'trickle-pds-'))

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

  const counters = { postsCreated: 0, duplicatesRefused: 0 }
  const createdAt = new Map<string, Date>()
  const faults = faultQueue<BlueskyFault>()
  const faultsApplied: AppliedFault[] = []
  let hold: { match: (text: string) => { apply: boolean } | null; onHeld: (held: HeldPost) => void } | undefined
  const sockets = new Set<Socket>()
  const delayed = delayedAnswers()
  const postCounts = new Map<string, BlueskyPostCounts>()

  /** `app.bsky.feed.getPosts` as an app view answers it (posts that do not exist are left out). */
  async function getPosts(url: URL): Promise<object> {
    const reader = new AtpAgent({ service: pdsUrl })
    const posts: object[] = []
    for (const uri of url.searchParams.getAll('uris')) {
      const match = /^at:\/\/([^/]+)\/([^/]+)\/([^/]+)$/.exec(uri)
      if (!match) continue
      try {
        const { data } = await reader.com.atproto.repo.getRecord({ repo: match[1]!, collection: match[2]!, rkey: match[3]! })
        const { data: profile } = await reader.com.atproto.repo.describeRepo({ repo: match[1]! })
        const counts = postCounts.get(uri)
        posts.push({
          uri,
          cid: data.cid,
          author: { did: profile.did, handle: profile.handle },
          record: data.value,
          indexedAt: new Date().toISOString(),
          likeCount: counts?.likeCount ?? 0,
          repostCount: counts?.repostCount ?? 0,
          replyCount: counts?.replyCount ?? 0,
          quoteCount: counts?.quoteCount ?? 0,
        })
      } catch {
        // Not found: an app view leaves the post out.
      }
    }
    return { posts }
  }

  type Answer = { status: number; headers: http.IncomingHttpHeaders; body: Buffer }
  /** Forwards the request to the PDS unchanged and collects its answer. */
  function forward(req: http.IncomingMessage, body: Buffer, post: ReturnType<typeof postOf>): Promise<Answer> {
    return new Promise((resolve) => {
      const upstream = http.request(
        { host: '127.0.0.1', port, method: req.method, path: req.url, headers: { ...req.headers, host: `127.0.0.1:${port}` } },
        (answer) => {
          const parts: Buffer[] = []
          answer.on('data', (chunk: Buffer) => parts.push(chunk))
          answer.on('end', () => {
            const result = { status: answer.statusCode ?? 502, headers: answer.headers, body: Buffer.concat(parts) }
            if (post && result.status === 200) {
              counters.postsCreated++
              const uri = (JSON.parse(result.body.toString('utf8')) as { uri?: string }).uri
              if (uri) createdAt.set(uri, new Date())
            } else if (post && /already/i.test(result.body.toString('utf8'))) counters.duplicatesRefused++
            resolve(result)
          })
        },
      )
      upstream.on('error', (error) => resolve({ status: 502, headers: { 'content-type': 'application/json' }, body: Buffer.from(JSON.stringify({ error: 'UpstreamFailure', message: error.message })) }))
      upstream.end(body)
    })
  }

  const proxy = http.createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', async () => {
      const body = Buffer.concat(chunks)
      const pathname = new URL(req.url ?? '/', 'http://proxy').pathname
      const method = pathname.startsWith('/xrpc/') ? pathname.slice('/xrpc/'.length) : ''
      const post = method === CREATE_RECORD ? postOf(body) : undefined
      const send = (answer: Answer) => {
        if (res.destroyed) return
        res.writeHead(answer.status, answer.headers)
        res.end(answer.body)
      }
      const json = (status: number, value: object, headers: Record<string, string> = {}): Answer => ({
        status,
        headers: { 'content-type': 'application/json', ...headers },
        body: Buffer.from(JSON.stringify(value)),
      })
      // A held request does not use up an injected fault.
      const held = post && hold?.match(post.text)
      if (post && held) {
        const applied = held.apply && (await forward(req, body, post)).status === 200
        hold!.onHeld({ text: post.text, applied, drop: () => req.socket.destroy() })
        return
      }
      const fault = faults.take(method, pathname)
      if (fault && post) faultsApplied.push({ kind: fault.kind, apply: 'apply' in fault ? fault.apply : undefined, ms: 'ms' in fault ? fault.ms : undefined, text: post.text, at: Date.now() })
      if (fault?.kind === 'rate-limit') {
        const reset = Math.ceil(fault.resetAt.getTime() / 1000)
        return send(
          json(429, { error: 'RateLimitExceeded', message: 'Rate Limit Exceeded' }, {
            'ratelimit-limit': '5000',
            'ratelimit-remaining': '0',
            'ratelimit-reset': String(reset),
            'ratelimit-policy': '5000;w=3600',
          }),
        )
      }
      if (method === 'app.bsky.feed.getPosts' && req.method === 'GET') return send(json(200, await getPosts(new URL(req.url ?? '/', 'http://proxy'))))
      const unavailable = json(503, { error: 'NotEnoughResources', message: 'the PDS is overloaded' })
      if (fault?.kind === 'unavailable' && !fault.apply) return send(unavailable)
      if (fault?.kind === 'reset' && !fault.apply) return req.socket.destroy()
      const answer = await forward(req, body, post)
      if (fault?.kind === 'reset') return req.socket.destroy()
      if (fault?.kind === 'hang') return
      if (fault?.kind === 'unavailable') return send(unavailable)
      if (fault?.kind === 'slow') return delayed.after(fault.ms, () => send(answer))
      send(answer)
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
    plcUrl,
    counters,
    createdAt,
    startMs,
    injectFault: (rule) => faults.inject(rule),
    faultsApplied,
    holdPosts: (match, onHeld) => {
      hold = { match, onHeld }
    },
    async listPosts(did) {
      const reader = new AtpAgent({ service: pdsUrl })
      const posts: BlueskyStoredPost[] = []
      for (let cursor: string | undefined; ; ) {
        const { data } = await reader.com.atproto.repo.listRecords({ repo: did, collection: POST_COLLECTION, limit: 100, cursor })
        for (const record of data.records) {
          const value = record.value as { text?: string; createdAt?: string; reply?: { root?: { uri?: string }; parent?: { uri?: string } } }
          posts.push({
            uri: record.uri,
            cid: record.cid,
            text: String(value.text ?? ''),
            reply: value.reply ? { root: String(value.reply.root?.uri ?? ''), parent: String(value.reply.parent?.uri ?? '') } : undefined,
            createdAt: String(value.createdAt ?? ''),
          })
        }
        if (!data.cursor || data.records.length === 0) break
        cursor = data.cursor
      }
      return posts
    },
    setPostMetrics(uri, counts) {
      postCounts.set(uri, { likeCount: 0, repostCount: 0, replyCount: 0, quoteCount: 0, ...postCounts.get(uri), ...counts })
    },
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
    forgetClientKeys() {
      const clients = server.ctx.oauthProvider?.clientManager as unknown as { jwks: { store: { clear(): void } } } | undefined
      if (!clients) throw new Error('this PDS runs no OAuth provider')
      clients.jwks.store.clear()
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

/** The post a createRecord body creates (its text), if it creates one. */
function postOf(body: Buffer): { text: string } | undefined {
  try {
    const { collection, record } = JSON.parse(body.toString('utf8')) as { collection?: string; record?: { text?: unknown } }
    return collection === POST_COLLECTION ? { text: String(record?.text ?? '') } : undefined
  } catch {
    return undefined
  }
}
