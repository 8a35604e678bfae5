/**
 * How long a crash-test worker process (test/pipeline/fixtures/worker.ts) takes to load its code, beside a
 * bare `node --import tsx` process run in the same loop (decision 070). Each sample is a fresh process
 * that imports the worker's modules, builds the connectors of every network the crash test uses (X,
 * Mastodon, Bluesky, loopback) and prints `performance.now()` (milliseconds since the process started):
 *
 * - `bare`: nothing imported: Node and tsx alone;
 * - `bare node`: Node alone, without tsx (the baseline of the bundled variant);
 * - `worker`: the worker's modules and connectors: what a worker that never posts to Bluesky pays;
 * - `worker, bundled`: the same code bundled by esbuild and run by plain Node, as the crash tests now
 *   spawn their workers (test/worker-bundle.ts);
 * - `worker + @atproto/api`: the same, then the Bluesky connector's library: what a worker pays once it
 *   posts to Bluesky, and what every worker paid while `connectors/bluesky` imported it statically.
 *
 * The variants take turns, so a busy machine slows them alike. Opening the database and the job store
 * (the rest of a worker's start) is not measured: it does not depend on the connectors.
 *
 * Run: npx tsx bench/worker-start.ts [--runs=7]
 */
import { execFileSync } from 'node:child_process'
import { buildSync } from 'esbuild'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const arg = (name: string, fallback: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? fallback
const RUNS = Number(arg('runs', '7'))
const root = fileURLToPath(new URL('..', import.meta.url))
const at = (file: string) => JSON.stringify(path.join(root, file))

const workerImports = `
  await import(${at('db/client.ts')})
  await import(${at('db/vault.ts')})
  await import(${at('core/clock.ts')})
  await import(${at('jobs/definitions.ts')})
  await import(${at('jobs/enqueue.ts')})
  await import(${at('jobs/store.ts')})
  const { connectorsFromEnv } = await import(${at('test/pipeline/worker-env.ts')})
  const env = { X_API_URL: 'http://127.0.0.1:9', X_CLIENT_ID: 'c', MASTODON_URL: 'http://127.0.0.1:9', BLUESKY_URL: 'http://127.0.0.1:9', LOOPBACK_URL: 'http://127.0.0.1:9' }
  const connectorFor = connectorsFromEnv(env, 1000)
  for (const kind of ['x', 'mastodon', 'bluesky', 'loopback']) connectorFor(kind)
`
/** `bundle`: run the variant bundled (packages left as imports) by plain Node instead of `node --import tsx`. */
const variants: Record<string, { body: string; bundle?: true }> = {
  bare: { body: '' },
  'bare node': { body: '', bundle: true },
  worker: { body: workerImports },
  'worker, bundled': { body: workerImports, bundle: true },
  'worker + @atproto/api': { body: `${workerImports}\n  await (await import(${at('connectors/bluesky/atproto.ts')})).loadAtproto()` },
}

// Under the repository, so a bundle's package imports resolve from node_modules.
mkdirSync(path.join(root, '.cache'), { recursive: true })
const dir = mkdtempSync(path.join(root, '.cache', 'worker-start-'))
const samples: Record<string, number[]> = Object.fromEntries(Object.keys(variants).map((name) => [name, []]))
try {
  const files = Object.entries(variants).map(([name, { body, bundle }], i) => {
    const file = path.join(dir, `variant-${i}.mts`)
    writeFileSync(file, `${body}\nconsole.log(Math.round(performance.now()))\nprocess.exit(0)\n`)
    if (!bundle) return [name, ['--import', 'tsx', file]] as const
    const outfile = path.join(dir, `variant-${i}.mjs`)
    buildSync({ entryPoints: [file], outfile, bundle: true, platform: 'node', format: 'esm', target: 'node20', packages: 'external', logLevel: 'warning' })
    return [name, [outfile]] as const
  })
  for (let run = 0; run < RUNS; run++) {
    for (const [name, args] of files) {
      const out = execFileSync(process.execPath, args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] })
      samples[name]!.push(Number(out.trim().split('\n').pop()))
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true })
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!
const bare = median(samples.bare!)
const bareNode = median(samples['bare node']!)
const worker = median(samples.worker!)
console.log(`worker start, ${RUNS} fresh processes each, ${os.cpus().length} cores, load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`)
for (const [name, values] of Object.entries(samples)) {
  const m = median(values)
  console.log(`${name.padEnd(24)} median ${String(m).padStart(5)} ms  (min ${Math.min(...values)}, max ${Math.max(...values)})  ${name.startsWith('bare') ? '' : variants[name]!.bundle ? `+${m - bareNode} ms over bare node` : `+${m - bare} ms over bare`}`)
}
console.log(`bundled worker / tsx worker: ${(median(samples['worker, bundled']!) / worker).toFixed(2)}`)
