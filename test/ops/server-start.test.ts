import { execFile, spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync, statSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'

/**
 * `npm start` as a new user runs it (issue 20, "the first hour"): server.ts on the embedded database and
 * job store, with APP_URL set. The startup line names APP_URL, /favicon.ico is an icon (no error in the
 * log), and the CLI works beside the running server through its socket (decision 083). Needs `npx remix build`.
 */

const root = path.resolve(import.meta.dirname, '../..')
const dataDir = mkdtempSync(path.join(tmpdir(), 'trickle-start-'))
const tsx = path.join(root, 'node_modules/.bin/tsx')
let server: ChildProcess | undefined
let output = ''
let port = 0

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number }
      probe.close(() => resolve(port))
    })
  })
}

function env(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, DATA_DIR: dataDir, NODE_ENV: 'development', PORT: String(port), HOST: '127.0.0.1', APP_URL: 'https://trickle.example.org', LOG_LEVEL: 'info' }
  delete env.DATABASE_URL
  delete env.MONGODB_URL
  return env
}

async function cli(args: string[]) {
  try {
    const { stdout, stderr } = await promisify(execFile)(tsx, [path.join(root, 'scripts/cli.ts'), ...args], { cwd: root, env: env() })
    return { code: 0, stdout, stderr }
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string }
    return { code: e.code, stdout: e.stdout, stderr: e.stderr }
  }
}

beforeAll(async () => {
  port = await freePort()
  server = spawn(tsx, [path.join(root, 'server.ts')], { cwd: root, env: env(), stdio: ['ignore', 'pipe', 'pipe'] })
  server.stdout!.on('data', (chunk) => (output += String(chunk)))
  server.stderr!.on('data', (chunk) => (output += String(chunk)))
  const deadline = Date.now() + 90_000
  while (!/Trickle is running on/.test(output)) {
    if (Date.now() > deadline || server.exitCode !== null) throw new Error(`The server did not start:\n${output}`)
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
}, 100_000)

afterAll(async () => {
  if (server && server.exitCode === null) {
    const exited = new Promise((resolve) => server!.once('exit', resolve))
    server.kill('SIGTERM')
    await exited
  }
  rmSync(dataDir, { recursive: true, force: true })
})

it('prints APP_URL in its startup line, not localhost', () => {
  expect(output).toMatch(/Trickle is running on https:\/\/trickle\.example\.org \(listening on 127\.0\.0\.1:\d+;/)
  expect(output).not.toContain('http://localhost')
})

it('serves a favicon, and an icon request logs nothing', async () => {
  const before = output.length
  for (const file of ['/favicon.ico', '/favicon.svg']) {
    const response = await fetch(`http://127.0.0.1:${port}${file}`)
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toMatch(/^image\//)
    expect((await response.arrayBuffer()).byteLength).toBeGreaterThan(100)
  }
  await new Promise((resolve) => setTimeout(resolve, 300))
  expect(output.slice(before)).toBe('')
})

it('runs the CLI beside the running server on the embedded database', { timeout: 60_000 }, async () => {
  expect(statSync(path.join(dataDir, 'cli.sock')).mode & 0o777).toBe(0o600)
  const created = await cli(['user', 'create', '--email', 'ops@example.com', '--password', 'a long operator password', '--workspace', 'Ops'])
  expect(created.stderr).toBe('')
  expect(created.stdout).toMatch(/Created user ops@example.com .* workspace "Ops"/)
  expect(created.code).toBe(0)

  const bad = await cli(['user', 'create', '--email', 'ops@example.com', '--password', 'short', '--workspace', 'Ops'])
  expect(bad.code).toBe(1)
  expect(bad.stderr).toContain('--password: Use at least 12 characters')
  const missing = await cli(['user', 'create', '--email', 'x@example.com'])
  expect(missing.code).toBe(1)
  expect(missing.stderr).toContain("required option '--password <password>' not specified")

  const token = await cli(['token', 'create', '--email', 'ops@example.com', '--name', 'ci'])
  expect(token.code).toBe(0)
  // The running server sees the user and the token at once: same database, no restart.
  const me = await fetch(`http://127.0.0.1:${port}/api/v1/me`, { headers: { Authorization: `Bearer ${token.stdout.trim()}` } })
  expect(me.status).toBe(200)
  expect(await me.json()).toMatchObject({ user: { email: 'ops@example.com' }, workspace: { name: 'Ops' } })
  expect(server!.exitCode).toBeNull() // the server is still up: a command's exit never ends it
})
