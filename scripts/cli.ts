// `npm run trickle -- <command>`: operator commands that work without a browser (scripts/cli-program.ts).
import path from 'node:path'
import { openDatabase, type Database } from '../db/client'
import { holdEmbeddedDatabase, isEmbeddedDatabaseBusy } from '../db/embedded-lock'
import { ConfigError, loadConfig } from '../core/env.server'
import { CliError, runCli } from './cli-program'
import { runInServer } from './cli-socket'

/** Open the database exactly as the server does (DATABASE_URL, else the embedded one in DATA_DIR/app). */
async function withDatabase<T>(fn: (database: Database) => Promise<T>): Promise<T> {
  const config = loadConfig()
  if (config.DATABASE_URL) {
    const database = await openDatabase({ url: config.DATABASE_URL, max: 2 })
    try {
      return await fn(database)
    } finally {
      await database.close()
    }
  }
  const busy = isEmbeddedDatabaseBusy(config.DATA_DIR)
  if (busy) {
    throw new CliError(
      `The embedded database in ${path.resolve(config.DATA_DIR, 'app')} is open in a running Trickle (pid ${busy.pid}), ` +
        'and it can only be used by one process at a time; that server does not answer on its CLI socket ' +
        `(${path.resolve(config.DATA_DIR, 'cli.sock')}), which it opens when it starts. Stop \`npm start\` (Ctrl+C), run this command, then start it again — ` +
        'or run Trickle on PostgreSQL (DATABASE_URL), where the CLI works alongside the server.',
    )
  }
  const lock = holdEmbeddedDatabase(config.DATA_DIR)
  try {
    const database = await openDatabase({ dataDir: path.join(config.DATA_DIR, 'app') })
    try {
      return await fn(database)
    } finally {
      await database.close()
    }
  } finally {
    lock.release()
  }
}

const io = { out: (text: string) => console.log(text), err: (text: string) => console.error(text) }
const argv = process.argv.slice(2)

async function main(): Promise<number> {
  let config
  try {
    config = loadConfig()
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error
    console.error(error.message)
    return 2
  }
  // On the embedded database a running server holds it: run the command in that server.
  if (!config.DATABASE_URL && isEmbeddedDatabaseBusy(config.DATA_DIR)) {
    const code = await runInServer(config.DATA_DIR, argv, io)
    if (code !== null) return code
  }
  return runCli(argv, { ...io, config: loadConfig, withDatabase })
}

process.exitCode = await main()
