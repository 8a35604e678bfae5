#!/usr/bin/env node
// Re-runs the pure domain tests under several host time zones: scheduling must not depend on the
// server's own TZ (rrule's tzid expansion famously does). One child per zone, one after another.
import { spawnSync } from 'node:child_process'
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import { fileURLToPath } from 'node:url'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const vitest = path.join(root, 'node_modules', 'vitest', 'vitest.mjs')
const zones = ['UTC', 'America/Los_Angeles', 'Europe/Berlin', 'Asia/Kolkata']

const results = []
for (const zone of zones) {
  console.log(`\n=== TZ=${zone}: vitest run domain/ ===`)
  const started = performance.now()
  const child = spawnSync(process.execPath, [vitest, 'run', 'domain/'], {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, TZ: zone },
  })
  const seconds = ((performance.now() - started) / 1000).toFixed(1)
  results.push({ zone, ok: child.status === 0, detail: child.error?.message ?? `exit ${child.status ?? child.signal}`, seconds })
}

console.log('\nTZ matrix:')
for (const r of results) console.log(`  ${r.ok ? 'PASS' : 'FAIL'}  TZ=${r.zone.padEnd(20)} ${r.detail} in ${r.seconds}s`)
process.exit(results.every((r) => r.ok) ? 0 : 1)
