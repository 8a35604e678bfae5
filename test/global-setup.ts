import net from 'node:net'

/**
 * Under CI every server-backed suite must run: a missing or unreachable server fails the whole run
 * instead of letting suites skip. Locally, missing servers fall back to embedded engines.
 */
export default async function globalSetup() {
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
