import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { asc } from 'drizzle-orm'
import { signUp } from '../../app/utils/auth.server'
import { openDatabase, type Database } from '../../db/client'
import { connectAccount } from '../../db/queries/accounts'
import { accounts } from '../../db/schema'
import { createKeyring, openCredentials, sealCredentials } from '../../db/vault'
import { systemClock } from '../../core/clock'
import { createTestDatabase } from '../db'

/**
 * `trickle tokens reencrypt` in a child process, after rotating TOKEN_ENCRYPTION_KEY with the old key
 * moved to TOKEN_ENCRYPTION_PREVIOUS_KEYS: every account ends up sealed under the new version and
 * opens with the new key alone. On PostgreSQL when DATABASE_URL is set, else on the embedded database.
 */

const run = promisify(execFile)
const root = path.resolve(import.meta.dirname, '../..')
const serverUrl = process.env.DATABASE_URL
const dataDir = mkdtempSync(path.join(tmpdir(), 'trickle-reencrypt-'))
const oldKey = randomBytes(32).toString('base64')
const newKey = randomBytes(32).toString('base64')

async function cli(args: string[], env: Record<string, string>, databaseUrl: string | undefined) {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, DATA_DIR: dataDir, NODE_ENV: 'development', ...env }
  if (databaseUrl) childEnv.DATABASE_URL = databaseUrl
  else delete childEnv.DATABASE_URL
  try {
    const { stdout, stderr } = await run(path.join(root, 'node_modules/.bin/tsx'), [path.join(root, 'scripts/cli.ts'), ...args], { cwd: root, env: childEnv })
    return { code: 0, stdout, stderr }
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string }
    return { code: e.code, stdout: e.stdout, stderr: e.stderr }
  }
}

let database: (Database & { url?: string }) | undefined
afterAll(async () => {
  await database?.close()
  rmSync(dataDir, { recursive: true, force: true })
})

const open = () => (serverUrl ? createTestDatabase() : openDatabase({ dataDir: path.join(dataDir, 'app') }))

describe(`tokens reencrypt (${serverUrl ? 'PostgreSQL' : 'embedded PGlite'})`, () => {
  it('re-seals every account under the new key version, and they still open', async () => {
    database = await open()
    const databaseUrl = database.url
    const oldKeyring = createKeyring({ currentKey: oldKey, currentVersion: 1 })
    const { workspace } = await signUp(database.db, { email: 'ops@rotate.test', password: 'a long enough password', name: 'Ops', workspaceName: 'Rotate' })
    const tokens = ['tok-a', 'tok-b', 'tok-c']
    for (const [i, accessToken] of tokens.entries()) {
      await connectAccount(database.db, {
        workspaceId: workspace.id,
        kind: 'x',
        remoteAccountId: String(i),
        handle: `user${i}`,
        credentials: { accessToken, refreshToken: `refresh-${i}`, expiresAt: new Date('2030-01-01T00:00:00Z') },
        keyring: oldKeyring,
        clock: systemClock,
      })
    }
    if (!databaseUrl) {
      await database.close() // the embedded database can only be open in one process
      database = undefined
    }

    const env = { TOKEN_ENCRYPTION_KEY: newKey, TOKEN_ENCRYPTION_KEY_VERSION: '2', TOKEN_ENCRYPTION_PREVIOUS_KEYS: `1:${oldKey}` }
    const result = await cli(['tokens', 'reencrypt'], env, databaseUrl)
    expect(result.stderr).toBe('')
    expect(result.code).toBe(0)
    expect(result.stdout.trim()).toBe('Re-encrypted 3 account(s) under key version 2; 0 failed.')

    database ??= await openDatabase({ dataDir: path.join(dataDir, 'app') })
    const rows = await database.db.select().from(accounts).orderBy(asc(accounts.remoteAccountId))
    expect(rows.map((r) => r.credentialsKeyVersion)).toEqual([2, 2, 2])
    const newOnly = createKeyring({ currentKey: newKey, currentVersion: 2 })
    expect(rows.map((r) => openCredentials({ keyring: newOnly, accountId: r.id, ciphertext: r.credentialsCiphertext }).accessToken)).toEqual(tokens)
    expect(() => openCredentials({ keyring: oldKeyring, accountId: rows[0]!.id, ciphertext: rows[0]!.credentialsCiphertext })).toThrow(/no key for version 2/)

    // An account sealed under a key the operator no longer supplies is reported and fails the command.
    const lostKeyring = createKeyring({ currentKey: randomBytes(32).toString('base64'), currentVersion: 7 })
    const lost = sealCredentials({ keyring: lostKeyring, accountId: rows[0]!.id, credentials: { accessToken: 'lost' } })
    await database.db.update(accounts).set({ credentialsCiphertext: lost.ciphertext, credentialsKeyVersion: 7 })
    if (!databaseUrl) {
      await database.close()
      database = undefined
    }
    const again = await cli(['tokens', 'reencrypt'], env, databaseUrl)
    expect(again.code).toBe(1)
    expect(again.stdout).toContain('Re-encrypted 0 account(s) under key version 2; 3 failed.')
    expect(again.stderr).toContain('no key for version 7')
    expect(again.stderr).toContain('could not be opened')

    const badKey = await cli(['tokens', 'reencrypt'], { ...env, TOKEN_ENCRYPTION_PREVIOUS_KEYS: '1:nope' }, databaseUrl)
    expect(badKey.code).toBe(2)
    expect(badKey.stderr).toContain('TOKEN_ENCRYPTION_PREVIOUS_KEYS')
  }, 90_000) // three cold starts of the CLI on a shared 2-core machine
})
