#!/usr/bin/env node
// The static checks `npm test` runs before the tests: the type check beside the lint and the web build
// (tsc is single-threaded and the slowest; on two cores this saves the shorter of the two). Each one's
// output is printed whole when it ends; the exit code is the first failure's.
import { spawn } from 'node:child_process'

const run = (name, command, args) =>
  new Promise((resolve) => {
    const started = Date.now()
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], shell: process.platform === 'win32' })
    let output = ''
    child.stdout.on('data', (chunk) => (output += chunk))
    child.stderr.on('data', (chunk) => (output += chunk))
    child.on('close', (code) => {
      process.stdout.write(`> ${name}: ${code === 0 ? 'ok' : `failed (exit ${code})`} in ${((Date.now() - started) / 1000).toFixed(1)} s\n${output}`)
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

const codes = await Promise.all([
  run('typecheck', 'npx', ['tsc', '--noEmit']),
  sequence(
    () => run('lint', 'npx', ['eslint', '.']),
    () => run('build', 'npx', ['remix', 'build']),
  ),
])
process.exit(codes.find((code) => code !== 0) ?? 0)
