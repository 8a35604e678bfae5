import { mkdirSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'

const root = fileURLToPath(new URL('..', import.meta.url))

/**
 * The crash tests spawn a worker process per kill (about 80 per store), so a worker's start-up is their
 * running time. Under `node --import tsx` a worker spends most of its start in the loader: every one of
 * its ~150 TypeScript modules is resolved and transformed through tsx's hooks. Bundling the worker once
 * (our code in one ES module, packages left as imports) and spawning `node <bundle>` runs the same code
 * with none of that (bench/worker-start.ts prints the difference).
 *
 * The bundle lives under the repository's `.cache/` so its package imports resolve from `node_modules`.
 */
export async function bundleWorker(entry: string): Promise<string> {
  const dir = path.join(root, '.cache', 'test-workers')
  mkdirSync(dir, { recursive: true })
  const outfile = path.join(dir, `${path.basename(path.dirname(path.dirname(entry)))}-${path.basename(entry, '.ts')}-${process.pid}.mjs`)
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    logLevel: 'warning',
  })
  return outfile
}
