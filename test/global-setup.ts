import net from 'node:net'
import { TEMPLATE_ENV } from './db'
import { ensureTemplateDatabase } from './db-template'

/**
 * Under CI every server-backed suite must run: a missing or unreachable server fails the whole run
 * instead of letting suites skip. Locally, missing servers fall back to embedded engines.
 */
export default async function globalSetup() {
  await requireServersUnderCi()
  // Test processes are forked after this and inherit the variable (test/db.ts reads it).
  if (process.env.DATABASE_URL) process.env[TEMPLATE_ENV] = await ensureTemplateDatabase(process.env.DATABASE_URL)
}

async function requireServersUnderCi() {
  if (process.env.CI !== 'true') return
  const required = { DATABASE_URL: process.env.DATABASE_URL, MONGODB_URL: process.env.MONGODB_URL }
  for (const [name, value] of Object.entries(required)) {
    if (!value) throw new Error(`CI=true but ${name} is not set: .ci/run must start the server and export it`)
    const u = new URL(value)
    const port = Number(u.port || (u.protocol.startsWith('mongodb') ? 27017 : 5432))
    await new Promise<void>((resolve, reject) => {
      const socket = net.connect({ host: u.hostname, port }, () => {
        socket.end()
        resolve()
      })
      socket.on('error', (err) => reject(new Error(`CI=true but ${name} (${u.hostname}:${port}) is unreachable: ${err.message}`)))
    })
  }
}
