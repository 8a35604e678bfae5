#!/usr/bin/env node
// Re-runs the pure domain tests under several host time zones: scheduling must not depend on the
// server's own TZ (rrule's tzid expansion famously does). Two zones at a time (one vitest run keeps
// about one of the two cores busy); each zone's output is printed whole when it ends. The domain tests are
// pure (no mocks, fake timers or stubs), so one zone's 46 files share one module graph (--no-isolate):
// 9.6 s a zone instead of 24.5 s here; the zone itself is per process (TZ).
import { spawn } from 'node:child_process'
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import { fileURLToPath } from 'node:url'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const vitest = path.join(root, 'node_modules', 'vitest', 'vitest.mjs')
const zones = ['UTC', 'America/Los_Angeles', 'Europe/Berlin', 'Asia/Kolkata']
const AT_ONCE = 2

function runZone(zone) {
  return new Promise((resolve) => {
    const started = performance.now()
    const child = spawn(process.execPath, [vitest, 'run', 'domain/', '--maxWorkers=1', '--no-isolate'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, TZ: zone } })
    let output = ''
    child.stdout.on('data', (chunk) => (output += chunk))
    child.stderr.on('data', (chunk) => (output += chunk))
    const done = (ok, detail) => {
      const seconds = ((performance.now() - started) / 1000).toFixed(1)
      process.stdout.write(`\n=== TZ=${zone}: vitest run domain/ ===\n${output}`)
      resolve({ zone, ok, detail, seconds })
    }
    child.on('error', (error) => done(false, error.message))
    child.on('close', (code, signal) => done(code === 0, `exit ${code ?? signal}`))
  })
}

const results = []
const queue = [...zones]
await Promise.all(
  Array.from({ length: AT_ONCE }, async () => {
    for (let zone = queue.shift(); zone; zone = queue.shift()) results.push(await runZone(zone))
  }),
)

console.log('\nTZ matrix:')
for (const r of results) console.log(`  ${r.ok ? 'PASS' : 'FAIL'}  TZ=${r.zone.padEnd(20)} ${r.detail} in ${r.seconds}s`)
process.exit(results.length === zones.length && results.every((r) => r.ok) ? 0 : 1)
