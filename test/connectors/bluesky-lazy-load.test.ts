import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

/**
 * Decision 070: every web and worker process builds the connectors, and most never talk to a PDS, so
 * `@atproto/api` (about 420 modules, 1–3 s to load here) is loaded on a process's first Bluesky request,
 * not when the connector module is imported. A fresh process (Node's module cache is per process) builds
 * every connector the way core/services.server.ts does, validates a Bluesky thread (synchronous, at
 * schedule time), prepares it as the pipeline does before a send, then makes two requests; a module hook notes each @atproto/api module loaded.
 */
const root = fileURLToPath(new URL('../..', import.meta.url))
const hooks = fileURLToPath(new URL('./fixtures/record-atproto-loads.mjs', import.meta.url))

it('a process that builds the connectors and validates a Bluesky post loads nothing of @atproto/api; prepare() (before the send deadline) loads it once', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'trickle-atproto-loads-'))
  const loads = path.join(dir, 'loads.txt')
  const script = path.join(dir, 'script.mts')
  writeFileSync(
    script,
    `
    import { existsSync, readFileSync } from 'node:fs'
    import { createConnectors } from ${JSON.stringify(path.join(root, 'connectors/registry.ts'))}
    import { createRequire } from 'node:module'
    // ES modules through the hook; CommonJS ones (@atproto/api 0.19 ships CommonJS, whose inner require()s
    // Node 20's module hooks do not see) through the require cache.
    const required = () => Object.keys(createRequire(import.meta.url).cache).filter((file) => file.includes('/@atproto/')).length
    const loaded = () => (existsSync(process.env.ATPROTO_LOADS_FILE!) ? readFileSync(process.env.ATPROTO_LOADS_FILE!, 'utf8').trim().split('\\n').length : 0) + required()
    const connectors = createConnectors({ bluesky: { allowInsecureServices: true }, mastodon: {}, email: {} })
    const problems = connectors.bluesky!.validate({ parts: [{ text: '👍🏽 '.repeat(150) }, { text: 'x'.repeat(301) }] })
    console.log(JSON.stringify({ at: 'built', loaded: loaded(), problems: problems.map((p) => p.path) }))
    // The pipeline calls prepare() before its send deadline starts: the library loads there, offline.
    await connectors.bluesky!.prepare!()
    console.log(JSON.stringify({ at: 'prepared', loaded: loaded() }))
    // An address the SSRF guard refuses: the request fails before connecting, after loading the library.
    const credentials = { accessToken: 'a', extra: { service: 'http://127.0.0.1:9', did: 'did:plc:alice' } }
    for (let i = 0; i < 2; i++) {
      const error = await connectors.bluesky!.publish({ credentials, content: { parts: [{ text: 'hi' }] }, idempotencyKey: 'k' }).catch((e: Error) => e)
      console.log(JSON.stringify({ at: 'request ' + (i + 1), loaded: loaded(), error: (error as Error).message }))
    }
    connectors.bluesky!.close?.()
    `,
  )
  try {
    const child = spawnSync(process.execPath, ['--import', 'tsx', '--import', hooks, script], {
      cwd: root,
      env: { ...process.env, ATPROTO_LOADS_FILE: loads },
      encoding: 'utf8',
      timeout: 60_000,
    })
    expect(child.stderr).toBe('')
    const lines = child.stdout.trim().split('\n').map((line) => JSON.parse(line) as { at: string; loaded: number; problems?: string[]; error?: string })
    expect(lines[0]).toEqual({ at: 'built', loaded: 0, problems: ['parts[1].text'] })
    expect(lines[1]!.loaded).toBeGreaterThan(100)
    // Loaded once, by prepare(): the requests load nothing more.
    expect(lines[2]).toEqual({ at: 'request 1', loaded: lines[1]!.loaded, error: 'http://127.0.0.1:9: this server address is not allowed' })
    expect(lines[3]).toEqual({ ...lines[2], at: 'request 2' })
    expect(existsSync(loads) && readFileSync(loads, 'utf8').includes('/node_modules/@atproto/api/dist/index.js')).toBe(true)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})
