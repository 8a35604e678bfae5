#!/usr/bin/env node
// Runs before `npm start` and `npm test`: installs what is missing (from the committed lockfile) and,
// with --build, builds the web app. Plain Node so it works before any dependency is installed.
import { spawnSync } from 'node:child_process'
import { existsSync, statSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
// package.json's engines: ^20.19 || ^22.13 || ^24 (decision 083).
const [major, minor] = process.versions.node.split('.').map(Number)
const supported = (major === 20 && minor >= 19) || (major === 22 && minor >= 13) || major === 24
if (!supported) {
  const message = `Trickle supports Node.js 20.19+, 22.13+ and 24; this is ${process.version}.`
  if (major < 20 || (major === 20 && minor < 19) || (major === 22 && minor < 13)) {
    console.error(message)
    process.exit(1)
  }
  console.warn(`${message} It may work; it is not tested.`)
}

function run(command, args) {
  console.log(`> ${command} ${args.join(' ')}`)
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit', shell: process.platform === 'win32' })
  if (result.status !== 0) process.exit(result.status ?? 1)
}

const lockfile = path.join(root, 'package-lock.json')
const installed = path.join(root, 'node_modules', '.package-lock.json')
const stale = !existsSync(installed) || statSync(lockfile).mtimeMs > statSync(installed).mtimeMs
// `npm install` (not `npm ci`) installs the locked versions; `npm ci` refuses a lockfile that lacks
// other platforms' optional packages, which registry mirrors without them produce.
if (stale) run('npm', ['install', '--no-audit', '--no-fund'])

if (process.argv.includes('--build')) run('npm', ['run', 'build', '--silent'])
