import { chmodSync, existsSync, rmSync } from 'node:fs'
import net from 'node:net'
import path from 'node:path'
import { createInterface } from 'node:readline'
import type { Config } from '../core/env.server'
import type { Database } from '../db/client'
import { runCli } from './cli-program'

/**
 * The embedded database (PGlite) can be opened by one process only, so while `npm start` holds it the CLI
 * hands its command line to that server over a Unix socket in DATA_DIR (owner-only, like the data beside
 * it) and prints what the server's run of the same command wrote. Decision 083.
 * Protocol: one JSON line `{ argv }` in; JSON lines `{ out }` / `{ err }` and a last `{ exit }` back.
 */
export function cliSocketPath(dataDir: string): string {
  return path.resolve(dataDir, 'cli.sock')
}

type Message = { out: string } | { err: string } | { exit: number }

/** Serve the CLI on DATA_DIR/cli.sock with this process's database. One command at a time. */
export async function serveCli(args: { dataDir: string; config: Config; database: Database; onError(error: unknown): void }): Promise<{ close(): Promise<void> }> {
  const file = cliSocketPath(args.dataDir)
  rmSync(file, { force: true }) // left by a process that was killed; the pid lock says no other server runs
  let queue = Promise.resolve()
  const server = net.createServer((socket) => {
    const lines = createInterface({ input: socket })
    lines.once('line', (line) => {
      lines.close()
      const send = (message: Message) => socket.writable && socket.write(`${JSON.stringify(message)}\n`)
      queue = queue.then(async () => {
        let exit = 1
        try {
          const { argv } = JSON.parse(line) as { argv: unknown }
          if (!Array.isArray(argv) || !argv.every((a) => typeof a === 'string')) throw new Error('argv must be a list of strings')
          exit = await runCli(argv, {
            out: (text) => send({ out: text }),
            err: (text) => send({ err: text }),
            config: () => args.config,
            withDatabase: (fn) => fn(args.database),
          })
        } catch (error) {
          args.onError(error)
          send({ err: 'The command failed inside the running server; its log has the details.' })
        }
        send({ exit })
        socket.end()
      })
    })
    socket.on('error', () => {}) // a client that went away
  })
  const previous = process.umask(0o177) // the socket is created owner-only (rw-------)
  try {
    await new Promise<void>((resolve, reject) => server.once('error', reject).listen(file, () => resolve()))
  } finally {
    process.umask(previous)
  }
  chmodSync(file, 0o600)
  return {
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        rmSync(file, { force: true })
      }),
  }
}

/**
 * Run the command line in the server that listens on DATA_DIR/cli.sock; its output goes to ours.
 * Null when no server answers there (then the caller explains why the CLI cannot run).
 */
export async function runInServer(dataDir: string, argv: string[], io: { out(text: string): void; err(text: string): void }): Promise<number | null> {
  const file = cliSocketPath(dataDir)
  if (!existsSync(file)) return null
  return new Promise<number | null>((resolve) => {
    let exit: number | null = null
    let connected = false
    const socket = net.createConnection(file, () => {
      connected = true
      socket.write(`${JSON.stringify({ argv })}\n`)
    })
    socket.on('error', () => resolve(connected ? 1 : null))
    createInterface({ input: socket }).on('line', (line) => {
      const message = JSON.parse(line) as Message
      if ('out' in message) io.out(message.out)
      else if ('err' in message) io.err(message.err)
      else exit = message.exit
    })
    socket.on('close', () => resolve(exit ?? (connected ? 1 : null)))
  })
}
