#!/usr/bin/env node
// `npm test`: the web build, then the static checks beside the main test run, then the browser tests beside
// the time-zone matrix (decision 119). The test runs wait on servers, sockets and leases much of their time
// (CI kept ~1 of the 2 cores busy), so the single-threaded type check and lint, and the pure domain tests,
// fill the idle core instead of adding their own minutes. A step's output is printed whole when it ends
// (vitest's streams as it runs); the exit code is the first failure's, after every started step has ended.
import { spawn } from 'node:child_process'

const run = (name, command, args, { stream = false } = {}) =>
  new Promise((resolve) => {
    const started = Date.now()
    const child = spawn(command, args, { stdio: ['ignore', stream ? 'inherit' : 'pipe', stream ? 'inherit' : 'pipe'], shell: process.platform === 'win32' })
    let output = ''
    child.stdout?.on('data', (chunk) => (output += chunk))
    child.stderr?.on('data', (chunk) => (output += chunk))
    child.on('close', (code) => {
      process.stdout.write(`${output}> ${name}: ${code === 0 ? 'ok' : `failed (exit ${code})`} in ${((Date.now() - started) / 1000).toFixed(1)} s\n`)
      resolve(code ?? 1)
    })
  })

const sequence = async (...steps) => {
  for (const step of steps) {
    const code = await step()
    if (code !== 0) return code
  }
  return 0
}
const together = async (...steps) => (await Promise.all(steps.map((step) => step()))).find((code) => code !== 0) ?? 0

const vitest = (name, ...args) => () => run(name, 'npx', ['vitest', 'run', ...args], { stream: true })

const code = await sequence(
  // The app-server and browser tests serve build/.
  () => run('build', 'npx', ['remix', 'build']),
  () =>
    together(
      () => sequence(() => run('typecheck', 'npx', ['tsc', '--noEmit']), () => run('lint', 'npx', ['eslint', '.'])),
      vitest('tests', '--exclude', 'test/e2e/**', '--exclude', 'domain/**', '--maxWorkers=3'),
    ),
  () => together(vitest('browser tests', 'test/e2e', '--maxWorkers=2'), () => run('time-zone matrix', 'node', ['scripts/tz-matrix.mjs'])),
)
process.exit(code)
