import { randomBytes } from 'node:crypto'
import { sql } from 'drizzle-orm'
import { connectorFactories } from '../../connectors/registry'
import { ConnectorError, type Connector, type Credentials } from '../../connectors/types'
import type { Db } from '../../db/client'
import {
  connectAccount,
  getAccount,
  getAccountCredentials,
  listAccounts,
  reservePostQuota,
  updateAccountCredentials,
} from '../../db/queries/accounts'
import { ensureFreshCredentials, refreshAccountCredentials } from '../../core/credentials.server'
import { workspaces } from '../../db/schema'
import { createKeyring, reencryptAccounts } from '../../db/vault'
import { fixedClock } from '../../domain/clock'
import { systemClock } from '../../core/clock'
import { createTestDatabase } from '../db'
import { startXApiServer, type XApiServer } from '../servers/x-api'

const clock = systemClock

async function rowsAsText(db: Db): Promise<string[]> {
  const result = (await db.execute(sql`select a::text as row from accounts a`)) as unknown
  const rows = (Array.isArray(result) ? result : (result as { rows: unknown[] }).rows) as Array<{ row: string }>
  return rows.map((r) => r.row)
}

describe('accounts and the token vault (database)', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>
  let db: Db
  let server: XApiServer
  let x: Connector
  let workspaceId: string
  let otherWorkspaceId: string
  const keyring = createKeyring({ currentKey: randomBytes(32).toString('base64'), currentVersion: 1 })

  beforeAll(async () => {
    database = await createTestDatabase()
    db = database.db
    server = await startXApiServer()
    x = connectorFactories.x({ clientId: server.clientId, clientSecret: server.clientSecret, apiBaseUrl: server.url, uploadBaseUrl: server.url })
    const rows = await db.insert(workspaces).values([{ name: 'One' }, { name: 'Two' }]).returning()
    workspaceId = rows[0]!.id
    otherWorkspaceId = rows[1]!.id
  })
  afterAll(async () => {
    await server?.close()
    await database?.close()
  })

  let remote = 0
  let tamperedId = ''
  function serverCredentials(): Credentials {
    const issued = server.issueTokens()
    return { accessToken: issued.accessToken, refreshToken: issued.refreshToken, expiresAt: new Date(Date.now() + issued.expiresIn * 1000), extra: { userId: server.user.id } }
  }
  async function connect(credentials: Credentials = serverCredentials(), workspace = workspaceId) {
    return connectAccount(db, { workspaceId: workspace, kind: 'x', remoteAccountId: String(++remote), handle: `h${remote}`, credentials, keyring, clock })
  }

  it('stores no token in clear: every column of every row, as text', async () => {
    const credentials = serverCredentials()
    const account = await connect(credentials)
    const dump = (await rowsAsText(db)).join('\n')
    expect(dump).toContain(account.id)
    expect(dump).not.toContain(credentials.accessToken)
    expect(dump).not.toContain(credentials.refreshToken)
    expect(dump).not.toContain(credentials.accessToken.slice(3, 20))
    expect(await getAccountCredentials(db, { workspaceId, accountId: account.id, keyring })).toEqual(credentials)
  })

  it('is scoped to the workspace', async () => {
    const mine = await connect()
    const theirs = await connect(serverCredentials(), otherWorkspaceId)
    expect((await listAccounts(db, { workspaceId: otherWorkspaceId })).map((a) => a.id)).toEqual([theirs.id])
    expect(await getAccount(db, { workspaceId: otherWorkspaceId, accountId: mine.id })).toBeNull()
    await expect(getAccountCredentials(db, { workspaceId: otherWorkspaceId, accountId: mine.id, keyring })).rejects.toThrow(/accountId/)
    expect(JSON.stringify(await listAccounts(db, { workspaceId }))).not.toContain('credentials')
  })

  it('a ciphertext moved onto another account does not open', async () => {
    const a = await connect()
    const b = await connect()
    tamperedId = b.id
    await db.execute(sql`update accounts set credentials_ciphertext = (select credentials_ciphertext from accounts where id = ${a.id}) where id = ${b.id}`)
    await expect(getAccountCredentials(db, { workspaceId, accountId: b.id, keyring })).rejects.toThrow(/failed authentication/)
  })

  it('an empty token never overwrites a stored one; reconnecting merges and reconnects', async () => {
    const original = serverCredentials()
    const account = await connect(original)
    await updateAccountCredentials(db, { workspaceId, accountId: account.id, credentials: { accessToken: '', refreshToken: '' }, keyring, clock })
    expect(await getAccountCredentials(db, { workspaceId, accountId: account.id, keyring })).toEqual(original)
    await updateAccountCredentials(db, { workspaceId, accountId: account.id, credentials: { accessToken: 'new-at' }, keyring, clock })
    const updated = await getAccountCredentials(db, { workspaceId, accountId: account.id, keyring })
    expect(updated).toMatchObject({ accessToken: 'new-at', refreshToken: original.refreshToken })
    await db.execute(sql`update accounts set status = 'reconnect_needed' where id = ${account.id}`)
    const again = await connectAccount(db, {
      workspaceId,
      kind: 'x',
      remoteAccountId: account.remoteAccountId,
      handle: 'renamed',
      credentials: { accessToken: 'reconnected-at', refreshToken: 'reconnected-rt' },
      keyring,
      clock,
    })
    expect(again).toMatchObject({ id: account.id, handle: 'renamed', status: 'connected' })
    expect(await getAccountCredentials(db, { workspaceId, accountId: account.id, keyring })).toMatchObject({ accessToken: 'reconnected-at', refreshToken: 'reconnected-rt' })
  })

  it('re-encrypts every account under the new key', async () => {
    await connect()
    const oldKey = Buffer.from(keyring.keys.get(1)!).toString('base64')
    const rotated = createKeyring({ currentKey: randomBytes(32).toString('base64'), currentVersion: 2, previousKeys: `1:${oldKey}` })
    const before = (await listAccounts(db, { workspaceId })).filter((a) => a.id !== tamperedId)
    const expected = await Promise.all(before.map((a) => getAccountCredentials(db, { workspaceId, accountId: a.id, keyring })))
    const total = (await rowsAsText(db)).length
    const result = await reencryptAccounts(db, { keyring: rotated, batchSize: 2 })
    expect(result.reencrypted).toBe(total - 1)
    expect(result.failed).toEqual([{ accountId: tamperedId, reason: expect.stringMatching(/failed authentication/) }])
    expect((await reencryptAccounts(db, { keyring: rotated })).reencrypted).toBe(0)
    const onlyNew = createKeyring({ currentKey: Buffer.from(rotated.keys.get(2)!).toString('base64'), currentVersion: 2 })
    const after = await Promise.all(before.map((a) => getAccountCredentials(db, { workspaceId, accountId: a.id, keyring: onlyNew })))
    expect(after).toEqual(expected)
    expect((await rowsAsText(db)).filter((row) => row.includes(',v2.'))).toHaveLength(total - 1)
    // Put things back for the tests below.
    await reencryptAccounts(db, { keyring: createKeyring({ currentKey: oldKey, currentVersion: 1, previousKeys: `2:${Buffer.from(rotated.keys.get(2)!).toString('base64')}` }) })
  })

  it('refresh is single-flight: a caller holding the old token gets the stored one', async () => {
    const account = await connect()
    const stale = (await getAccountCredentials(db, { workspaceId, accountId: account.id, keyring })).accessToken
    const calls = server.counters.refreshCalls
    const args = { db, keyring, connector: x, workspaceId, accountId: account.id, staleAccessToken: stale, clock }
    const first = await refreshAccountCredentials(args)
    const second = await refreshAccountCredentials(args)
    expect(second).toEqual(first)
    expect(first.accessToken).not.toBe(stale)
    expect(server.counters.refreshCalls).toBe(calls + 1)
    expect((await getAccount(db, { workspaceId, accountId: account.id }))?.expiresAt?.toISOString()).toBe(first.expiresAt?.toISOString())
  })

  it('a refused token endpoint leaves the account connected; invalid_grant needs a reconnect', async () => {
    const account = await connect()
    const stale = (await getAccountCredentials(db, { workspaceId, accountId: account.id, keyring })).accessToken
    const args = { db, keyring, connector: x, workspaceId, accountId: account.id, staleAccessToken: stale, clock }
    server.injectFault({ kind: 'unavailable', path: '/2/oauth2/token' })
    await expect(refreshAccountCredentials(args)).rejects.toMatchObject({ kind: 'transient' })
    expect((await getAccount(db, { workspaceId, accountId: account.id }))?.status).toBe('connected')
    // Someone used the refresh token behind our back: X revokes the family.
    const stored = await getAccountCredentials(db, { workspaceId, accountId: account.id, keyring })
    await x.refreshCredentials!(stored)
    await expect(refreshAccountCredentials(args)).rejects.toMatchObject({ kind: 'disconnected' })
    const after = await getAccount(db, { workspaceId, accountId: account.id })
    expect(after).toMatchObject({ status: 'reconnect_needed' })
    expect(after?.statusReason).toMatch(/invalid/)
    const calls = server.counters.refreshCalls
    const error = await refreshAccountCredentials(args).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ConnectorError)
    expect((error as ConnectorError).kind).toBe('disconnected')
    expect(server.counters.refreshCalls).toBe(calls)
  })

  it('ensureFreshCredentials refreshes within five minutes of expiry, not before', async () => {
    const account = await connect()
    const credentials = await getAccountCredentials(db, { workspaceId, accountId: account.id, keyring })
    const expiresAt = credentials.expiresAt!
    const at = fixedClock(new Date(expiresAt.getTime() - 6 * 60_000))
    const args = { db, keyring, connector: x, workspaceId, accountId: account.id, clock: at }
    expect(await ensureFreshCredentials(args)).toEqual(credentials)
    at.advance(2 * 60_000)
    const fresh = await ensureFreshCredentials(args)
    expect(fresh.accessToken).not.toBe(credentials.accessToken)
    expect(await getAccountCredentials(db, { workspaceId, accountId: account.id, keyring })).toEqual(fresh)
  })

  it('shares the daily app budget out so one workspace cannot spend it all', async () => {
    const limited = { kind: 'x-quota-test', quota: { postsPerDay: 5, postsPerDayPerWorkspace: 3 } }
    const connectLimited = async (workspace: string) =>
      connectAccount(db, { workspaceId: workspace, kind: limited.kind, remoteAccountId: String(++remote), handle: 'q', credentials: serverCredentials(), keyring, clock })
    const a = await connectLimited(workspaceId)
    const b = await connectLimited(workspaceId)
    const c = await connectLimited(otherWorkspaceId)
    const at = fixedClock(new Date('2026-11-22T23:00:00Z'))
    const reserve = (account: { id: string; workspaceId: string }, posts = 1) =>
      reservePostQuota(db, { connector: limited, workspaceId: account.workspaceId, accountId: account.id, posts, clock: at })
    await reserve(a, 2)
    await reserve(b)
    await expect(reserve(b)).rejects.toMatchObject({ kind: 'rate-limited', detail: { code: 'workspace-quota' }, resetAt: new Date('2026-11-23T00:00:00Z') })
    await reserve(c, 2)
    await expect(reserve(c)).rejects.toMatchObject({ kind: 'rate-limited', detail: { code: 'app-quota' } })
    await expect(reservePostQuota(db, { connector: limited, workspaceId: otherWorkspaceId, accountId: a.id, posts: 1, clock: at })).rejects.toThrow(/accountId/)
    at.set(new Date('2026-11-23T00:00:01Z'))
    await reserve(a, 3)
    await expect(reserve(c, 3)).rejects.toMatchObject({ detail: { code: 'app-quota' } })
    await reserve(c, 2)
    // No quota configured: nothing is counted.
    await reservePostQuota(db, { connector: { kind: 'x' }, workspaceId, accountId: a.id, posts: 1000, clock: at })
  })

  it('quota reservations from many callers at once never overspend', async () => {
    const limited = { kind: 'x-quota-race', quota: { postsPerDay: 10, postsPerDayPerWorkspace: 10 } }
    const account = await connectAccount(db, { workspaceId, kind: limited.kind, remoteAccountId: 'race', handle: 'r', credentials: serverCredentials(), keyring, clock })
    const outcomes = await Promise.allSettled(
      Array.from({ length: 25 }, () => reservePostQuota(db, { connector: limited, workspaceId, accountId: account.id, posts: 1, clock })),
    )
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(10)
    expect(outcomes.filter((o) => o.status === 'rejected').every((o) => (o as PromiseRejectedResult).reason instanceof ConnectorError)).toBe(true)
  })
})
