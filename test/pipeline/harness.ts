import { createHash, randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { mkdir, writeFile } from 'node:fs/promises'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { MongoClient } from 'mongodb'
import { createBlueskyConnector } from '../../connectors/bluesky/index'
import { openDatabase, type Database, type Db } from '../../db/client'
import { connectAccount } from '../../db/queries/accounts'
import { insertMedia } from '../../db/queries/media'
import { mediaDirOf } from '../../core/media.server'
import { planDeliveries, type PlanItem } from '../../db/queries/deliveries'
import { createSequence } from '../../db/queries/sequences'
import { workspaces, type StepContent } from '../../db/schema'
import { createKeyring, type Keyring } from '../../db/vault'
import { type Clock } from '../../domain/clock'
import { systemClock } from '../../core/clock'
import { accountTargets } from '../../core/publishing/targets.server'
import { defineJobs, startPipeline, type JobDeps } from '../../jobs/definitions'
import { deliveryScheduler } from '../../jobs/enqueue'
import type { PipelineOptions, PublishHooks } from '../../core/publishing/publish.server'
import { openJobStore, type JobStore } from '../../jobs/store'
import { createTestDatabase, withDatabase } from '../db'
// Only the type: the PDS (@atproto/pds, dev-env, PLC) is imported when a fixture asks for Bluesky, never by
// the worker processes that import this file for connectorsFromEnv.
import type { BlueskyPds } from '../servers/bluesky-pds'
import { issueLoopbackTokens, startLoopbackSocialServer, type LoopbackSocialServer } from '../servers/loopback-social'
import { startMastodonApiServer, type MastodonApiServer } from '../servers/mastodon-api'
import { startXApiServer, type XApiServer } from '../servers/x-api'
import { startThreadsApiServer, type ThreadsApiServer } from '../servers/threads-api'
import { publicMediaResponse, type PublicMediaConfig } from '../../core/public-media.server'

export type StoreKind = 'postgres' | 'mongodb' | 'embedded'
/**
 * Where the fixture's account publishes: the generic loopback network, the X connector at a loopback X
 * API, the Mastodon connector at a loopback Mastodon API, or the Bluesky connector at an in-process PDS
 * (test/servers/bluesky-pds.ts, behind its fault-injecting proxy).
 */
export type NetworkKind = 'loopback' | 'x' | 'mastodon' | 'bluesky' | 'threads'

/** Job stores these tests can run against here; under CI both servers are required (test/global-setup.ts). */
export const serverStores: StoreKind[] = [
  ...(process.env.DATABASE_URL ? (['postgres'] as const) : []),
  ...(process.env.DATABASE_URL && process.env.MONGODB_URL ? (['mongodb'] as const) : []),
]

import { connectorsFromEnv, TEST_OPTIONS, TEST_RECONCILE_EVERY_MS, TEST_STALL_GRACE_MS } from './worker-env'

export { connectorsFromEnv, TEST_OPTIONS, TEST_RECONCILE_EVERY_MS, TEST_STALL_GRACE_MS }

export const TEST_KEY = randomBytes(32).toString('base64')

export type Worker = { name: string; store: JobStore; db: Db; stop(): Promise<void> }

export type PipelineFixture = {
  kind: StoreKind
  database: Database & { url?: string }
  db: Db
  server: LoopbackSocialServer
  /** With `network: 'x'`: the loopback X API the account publishes to. */
  x?: XApiServer
  /** With `network: 'mastodon'`: the loopback Mastodon API the account publishes to. */
  mastodon?: MastodonApiServer
  /** With `network: 'bluesky'`: the PDS (through its proxy, `bluesky.url`) the account publishes to, and the account's DID. */
  bluesky?: BlueskyPds & { did: string }
  /** With `network: 'threads'`: the loopback Threads API, which fetches media from `mediaUrl` (`GET /m/{token}`, the route's own code). */
  threads?: ThreadsApiServer
  mediaUrl?: string
  keyring: Keyring
  workspaceId: string
  accountId: string
  /** The account of each network the fixture connected (`network` and `alsoNetworks`). */
  accountIds: Partial<Record<NetworkKind, string>>
  /** A store that only enqueues (a web process). */
  producer: JobStore
  /** How many 'error' events the workers' Agenda instances emitted. */
  storeErrors: { count: number }
  /** Environment a child worker needs to reach the same stores. */
  childEnv: Record<string, string>
  /** DATA_DIR of the fixture's workers: the media store's images live under it (core/media.server.ts). */
  dataDir: string
  createSeries(args: { steps: number; maxLatenessSeconds?: number; text?: (i: number) => string; content?: (i: number) => StepContent }): Promise<{ sequenceId: string; stepIds: string[] }>
  plan(args: { sequenceId: string; items: PlanItem[]; clock?: Clock }): ReturnType<typeof planDeliveries>
  startWorker(args?: {
    name?: string
    hooks?: PublishHooks
    options?: Partial<PipelineOptions>
    clock?: Clock
    concurrency?: number
    stallGraceMs?: number
  }): Promise<Worker>
  deps(args?: { db?: Db; hooks?: PublishHooks; options?: Partial<PipelineOptions>; clock?: Clock; store?: JobStore }): JobDeps
  close(): Promise<void>
}

export async function openPipelineFixture(
  kind: StoreKind,
  {
    network = 'loopback',
    alsoNetworks = [],
    xOptions,
    mastodonOptions,
  }: {
    network?: NetworkKind
    /** More networks to connect an account of (`accountIds`), e.g. the crash test publishes to X and Mastodon at once. */
    alsoNetworks?: NetworkKind[]
    /** For `network: 'x'`: how the loopback X API behaves. */
    xOptions?: Parameters<typeof startXApiServer>[0]
    /** For `network: 'mastodon'`: how the loopback Mastodon API behaves. */
    mastodonOptions?: Parameters<typeof startMastodonApiServer>[0]
  } = {},
): Promise<PipelineFixture> {
  const database = await createTestDatabase()
  const server = await startLoopbackSocialServer()
  const networks = [network, ...alsoNetworks.filter((n) => n !== network)]
  const x = networks.includes('x') ? await startXApiServer(xOptions) : undefined
  const mastodon = networks.includes('mastodon') ? await startMastodonApiServer(mastodonOptions) : undefined
  const bluesky = networks.includes('bluesky') ? await startBlueskyAccount() : undefined
  const threads = networks.includes('threads') ? await startThreadsApiServer() : undefined
  const keyring = createKeyring({ currentKey: TEST_KEY, currentVersion: 1 })
  const dataDir = mkdtempSync(path.join(tmpdir(), 'trickle-pipeline-data-'))
  const [workspace] = await database.db.insert(workspaces).values({ name: 'Pipeline test' }).returning()
  const accountIds: Partial<Record<NetworkKind, string>> = {}
  for (const net of networks) {
    const account = await connectAccount(database.db, {
      workspaceId: workspace!.id,
      kind: net,
      remoteAccountId: net === 'x' ? x!.user.id : net === 'mastodon' ? mastodon!.account.id : net === 'bluesky' ? bluesky!.account.remoteAccountId : net === 'threads' ? threads!.user.id : 'me',
      handle: net === 'x' ? x!.user.username : net === 'mastodon' ? mastodon!.account.username : net === 'bluesky' ? bluesky!.account.handle : net === 'threads' ? threads!.user.username : 'me',
      credentials:
        net === 'x'
          ? xCredentials(x!)
          : net === 'mastodon'
            ? mastodonCredentials(mastodon!)
            : net === 'bluesky'
              ? bluesky!.account.credentials
              : net === 'threads'
                ? { accessToken: threads!.issueToken().accessToken, extra: { userId: threads!.user.id, username: threads!.user.username } }
                : issueLoopbackTokens(server),
      keyring,
      clock: systemClock,
    })
    accountIds[net] = account.id
  }
  const networkEnv: Record<string, string> = {
    ...(x ? { X_API_URL: x.url, X_CLIENT_ID: x.clientId, X_CLIENT_SECRET: x.clientSecret } : {}),
    ...(mastodon ? { MASTODON_URL: mastodon.url } : {}),
    ...(bluesky ? { BLUESKY_URL: bluesky.pds.url } : {}),
    ...(networks.includes('loopback') ? { LOOPBACK_URL: server.url } : {}),
    ...(threads ? { THREADS_API_URL: threads.url, THREADS_APP_ID: threads.clientId, THREADS_APP_SECRET: threads.clientSecret } : {}),
  }
  // The media route (`GET /m/{token}`: publicMediaResponse, what app/routes/m.$token.ts runs) over this fixture's store.
  const media = threads ? await startMediaRoute({ db: database.db, dataDir }) : undefined

  let mongoUrl: string | undefined
  const storeOptions = (): Parameters<typeof openJobStore>[0] => {
    if (kind === 'mongodb') return { mongodbUrl: mongoUrl }
    if (kind === 'postgres') return { databaseUrl: database.url }
    return { databaseUrl: embeddedUrl, postgresNotifications: false }
  }
  let embedded: JobStore | undefined
  let embeddedUrl: string | undefined
  if (kind === 'mongodb') {
    if (!process.env.MONGODB_URL) throw new Error('MONGODB_URL is not set')
    mongoUrl = withDatabase(process.env.MONGODB_URL, `trickle_pipeline_${randomBytes(6).toString('hex')}`)
  } else if (kind === 'postgres') {
    if (!database.url) throw new Error('DATABASE_URL is not set')
  } else {
    embedded = await openJobStore({ embeddedDataDir: null, name: 'embedded' })
    embeddedUrl = embedded.url
  }
  const producer = embedded ?? (await openJobStore({ ...storeOptions(), name: 'producer' }))
  const stores: JobStore[] = []
  const storeErrors = { count: 0 }
  const extraDbs: Database[] = []

  const fixture: PipelineFixture = {
    kind,
    database,
    db: database.db,
    server,
    x,
    mastodon,
    bluesky: bluesky && Object.assign(bluesky.pds, { did: bluesky.account.remoteAccountId }),
    threads,
    mediaUrl: media?.config.APP_URL,
    dataDir,
    keyring,
    workspaceId: workspace!.id,
    accountId: accountIds[network]!,
    accountIds,
    producer,
    storeErrors,
    childEnv: {
      APP_DATABASE_URL: database.url ?? '',
      ...(mongoUrl ? { JOBS_MONGODB_URL: mongoUrl } : { JOBS_DATABASE_URL: database.url ?? '' }),
      ...networkEnv,
      TEST_KEY,
      DATA_DIR: dataDir,
    },
    async createSeries({ steps, maxLatenessSeconds, text, content }) {
      const created = await createSequence(database.db, {
        workspaceId: workspace!.id,
        kind: 'series',
        name: 'Series',
        maxLatenessSeconds,
        steps: Array.from({ length: steps }, (_, i) => content?.(i) ?? { parts: [{ text: text?.(i) ?? `post ${i}` }] }),
        clock: systemClock,
      })
      return { sequenceId: created.sequence.id, stepIds: created.steps.map((s) => s.id) }
    },
    plan({ sequenceId, items, clock }) {
      return planDeliveries(database.db, { workspaceId: workspace!.id, sequenceId, items, clock: clock ?? systemClock, scheduler: deliveryScheduler(producer.agenda) })
    },
    deps({ db, hooks, options, clock, store } = {}) {
      const useDb = db ?? database.db
      const useClock = clock ?? systemClock
      const connectorFor = connectorsFromEnv(networkEnv, options?.connectorTimeoutMs ?? TEST_OPTIONS.connectorTimeoutMs)
      return {
        db: useDb,
        clock: useClock,
        ...accountTargets({ db: useDb, keyring, clock: useClock, connectorFor }),
        scheduler: deliveryScheduler((store ?? producer).agenda),
        options: { ...TEST_OPTIONS, ...options },
        hooks,
        dataDir,
        publicMedia: media?.config,
        stallGraceMs: TEST_STALL_GRACE_MS,
        reconcileEveryMs: TEST_RECONCILE_EVERY_MS,
      }
    },
    async startWorker({ name = `w${stores.length + 1}`, hooks, options, clock, concurrency, stallGraceMs } = {}) {
      // Each worker has its own connections, as a separate process would (PGlite: one shared engine).
      const workerDatabase = database.url ? await openDatabase({ url: database.url, max: 10, migrate: false }) : undefined
      if (workerDatabase) extraDbs.push(workerDatabase)
      const store = embedded ?? (await openJobStore({ ...storeOptions(), name, agenda: { processEvery: 100 } }))
      if (!embedded) stores.push(store)
      // Agenda emits 'error' when locking fails (FerretDB answers SQLITE_BUSY under contention); an
      // EventEmitter without a listener would throw it as an unhandled rejection.
      if (store.agenda.listenerCount('error') === 0) store.agenda.on('error', () => storeErrors.count++)
      const deps = {
        ...fixture.deps({ db: workerDatabase?.db, hooks, options, clock, store }),
        publishConcurrency: concurrency,
        ...(stallGraceMs ? { stallGraceMs } : {}),
      }
      defineJobs(store, deps)
      await store.start()
      await startPipeline(store.agenda, deps)
      return {
        name,
        store,
        db: deps.db,
        stop: async () => {
          await store.stop({ drainMs: 0 })
        },
      }
    },
    async close() {
      await Promise.all(stores.map((store) => store.close({ drainMs: 0 }).catch(() => {})))
      if (producer !== embedded) await producer.close({ drainMs: 0 }).catch(() => {})
      await embedded?.close({ drainMs: 0 }).catch(() => {})
      await Promise.all(extraDbs.map((d) => d.close()))
      await server.close()
      await x?.close()
      await mastodon?.close()
      await bluesky?.pds.close()
      await threads?.close()
      await media?.close()
      rmSync(dataDir, { recursive: true, force: true })
      await database.close()
      if (mongoUrl) {
        const client = await MongoClient.connect(mongoUrl)
        await client.db().dropDatabase().finally(() => client.close())
      }
    },
  }
  return fixture
}

/** `GET /m/{token}` as the app serves it (publicMediaResponse), on a loopback port that stands in for APP_URL. */
async function startMediaRoute(args: { db: Db; dataDir: string }): Promise<{ config: PublicMediaConfig; close(): Promise<void> }> {
  const secret = randomBytes(32).toString('hex')
  const server = http.createServer((req, res) => {
    const token = /^\/m\/([^/?]+)$/.exec(req.url ?? '')?.[1] ?? ''
    void publicMediaResponse({ db: args.db, config: { SESSION_SECRET: secret, DATA_DIR: args.dataDir }, clock: systemClock }, { token, range: req.headers.range ?? null, head: req.method === 'HEAD' }).then(async (answer) => {
      res.writeHead(answer.status, Object.fromEntries(answer.headers))
      res.end(Buffer.from(await answer.arrayBuffer()))
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    config: { APP_URL: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, SESSION_SECRET: secret, NODE_ENV: 'test' },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}

function xCredentials(x: XApiServer) {
  const issued = x.issueTokens()
  return {
    accessToken: issued.accessToken,
    refreshToken: issued.refreshToken,
    expiresAt: new Date(Date.now() + issued.expiresIn * 1000),
    extra: { userId: x.user.id, username: x.user.username },
  }
}

/** A PDS with one account, connected the way a user connects one: an app password, through the proxy. */
async function startBlueskyAccount() {
  const { startBlueskyPds } = await import('../servers/bluesky-pds')
  const pds = await startBlueskyPds()
  try {
    const created = await pds.createAccount('pipeline')
    const connector = createBlueskyConnector({ allowInsecureServices: true, allowPrivateNetworkHosts: true })
    const account = await connector.connectWithAppPassword({ service: pds.url, identifier: created.handle, appPassword: created.appPassword })
    connector.close?.()
    return { pds, account }
  } catch (error) {
    await pds.close()
    throw error
  }
}

function mastodonCredentials(mastodon: MastodonApiServer) {
  return { accessToken: mastodon.issueToken(), extra: { instanceUrl: mastodon.url, accountId: mastodon.account.id } }
}

export async function waitFor<T>(what: string, check: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 20_000, everyMs = 50): Promise<T> {
  const deadline = performance.now() + timeoutMs
  for (;;) {
    const value = await check()
    if (value) return value
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await sleep(everyMs)
  }
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** Wall clock for tests (eslint allows Date.now in tests). */
export const wallNow = () => new Date(Date.now())

/** A file in the fixture workspace's media store (row and bytes), as an upload leaves it: its media id. */
export async function storeMedia(f: Pick<PipelineFixture, 'db' | 'dataDir' | 'workspaceId'>, file: { fileName: string; mimeType: string; bytes: Uint8Array }): Promise<string> {
  const row = await insertMedia(f.db, {
    workspaceId: f.workspaceId,
    fileName: file.fileName,
    mimeType: file.mimeType,
    size: file.bytes.byteLength,
    sha256: createHash('sha256').update(file.bytes).digest('hex'),
    now: new Date(),
  })
  const dir = mediaDirOf(f.dataDir, f.workspaceId)
  await mkdir(dir, { recursive: true })
  await writeFile(path.join(dir, row.id), file.bytes)
  return row.id
}
