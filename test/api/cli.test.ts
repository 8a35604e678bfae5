import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { Validator } from '@seriousme/openapi-schema-validator'
import { openDatabase } from '../../db/client'
import { holdEmbeddedDatabase } from '../../db/embedded-lock'
import { startTestApp, type TestApp } from '../app-server'
import { createTestDatabase } from '../db'

const run = promisify(execFile)
const root = path.resolve(import.meta.dirname, '../..')
const dataDir = mkdtempSync(path.join(tmpdir(), 'trickle-cli-'))
const serverUrl = process.env.DATABASE_URL

/** The real CLI in a child process, on PostgreSQL (a fresh test database) or on the embedded database in dataDir. */
async function cli(args: string[], databaseUrl: string | undefined) {
  const env: NodeJS.ProcessEnv = { ...process.env, DATA_DIR: dataDir, NODE_ENV: 'development' }
  if (databaseUrl) env.DATABASE_URL = databaseUrl
  else delete env.DATABASE_URL
  try {
    const { stdout, stderr } = await run(path.join(root, 'node_modules/.bin/tsx'), [path.join(root, 'scripts/cli.ts'), ...args], { cwd: root, env })
    return { code: 0, stdout, stderr }
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string }
    return { code: e.code, stdout: e.stdout, stderr: e.stderr }
  }
}

let app: TestApp | undefined
let databaseUrl: string | undefined
afterAll(async () => {
  await app?.close()
  rmSync(dataDir, { recursive: true, force: true })
})

describe(`CLI bootstrap (${serverUrl ? 'PostgreSQL' : 'embedded PGlite'})`, () => {
  it('prints help', async () => {
    const help = await cli(['--help'], undefined)
    expect(help.code).toBe(0)
    expect(help.stdout).toContain('user')
    expect(help.stdout).toContain('token')
  })

  it('creates a user and a token that works against the API; bad input names the flag', async () => {
    // On a server, the CLI gets its own fresh database, which the app then serves (and drops on close).
    const serverDatabase = serverUrl ? await createTestDatabase() : undefined
    databaseUrl = serverDatabase?.url
    const short = await cli(['user', 'create', '--email', 'ops@example.com', '--password', 'short', '--workspace', 'Ops'], databaseUrl)
    expect(short.code).toBe(1)
    expect(short.stderr).toContain('--password: Use at least 12 characters')

    const created = await cli(['user', 'create', '--email', 'Ops@Example.com', '--password', 'a long operator password', '--workspace', 'Ops'], databaseUrl)
    expect(created.stderr).toBe('')
    expect(created.code).toBe(0)
    expect(created.stdout).toMatch(/Created user ops@example.com .* workspace "Ops"/)

    expect((await cli(['user', 'create', '--email', 'ops@example.com', '--password', 'a long operator password', '--workspace', 'X'], databaseUrl)).stderr).toContain(
      'already exists',
    )
    expect((await cli(['token', 'create', '--email', 'nobody@example.com', '--name', 'ci'], databaseUrl)).stderr).toContain('--email: no user')
    expect((await cli(['token', 'create', '--email', 'ops@example.com', '--name', 'ci', '--workspace', 'Nope'], databaseUrl)).stderr).toContain('Their workspaces')

    const token = await cli(['token', 'create', '--email', 'ops@example.com', '--name', 'ci'], databaseUrl)
    expect(token.code).toBe(0)
    expect(token.stdout.trim()).toMatch(/^trk_[A-Za-z0-9_-]{40,}$/)

    app = await startTestApp({
      database: serverDatabase ?? (await openDatabase({ dataDir: path.join(dataDir, 'app') })),
    })
    const spec = await fetch(`${app.url}/api/v1/openapi.json`)
    expect(spec.status).toBe(200)
    const document = await spec.json()
    const validation = await new Validator().validate(document)
    expect(validation.errors ?? []).toEqual([])
    expect(validation.valid).toBe(true)
    expect(document.openapi).toBe('3.1.0')

    const me = await fetch(`${app.url}/api/v1/me`, { headers: { Authorization: `Bearer ${token.stdout.trim()}` } })
    expect(me.status).toBe(200)
    expect(await me.json()).toMatchObject({ user: { email: 'ops@example.com' }, workspace: { name: 'Ops' }, role: 'owner' })

    const bad = await fetch(`${app.url}/api/v1/me`, { headers: { Authorization: 'Bearer trk_not-a-real-token' } })
    expect(bad.status).toBe(401)
    expect(bad.headers.get('content-type')).toContain('application/json')
    expect((await bad.json()).error.code).toBe('unauthorized')
  }, 120_000) // seven cold starts of the CLI (each opening the embedded database from disk) on a shared 2-core machine

  it('refuses to open the embedded database while a server holds it', async () => {
    const lock = holdEmbeddedDatabase(dataDir)
    try {
      // This test process plays the running server: its pid is in the lock file and alive.
      const refused = await cli(['token', 'create', '--email', 'ops@example.com', '--name', 'ci'], undefined)
      expect(refused.code).toBe(1)
      expect(refused.stderr).toContain('is open in a running Trickle')
      expect(refused.stderr).toContain('Stop `npm start`')
    } finally {
      lock.release()
    }
  })
})
