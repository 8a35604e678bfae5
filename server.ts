import { loadConfig, ConfigError, publicUrl } from './core/env.server'
import { createHttpApp, loadServerBuild } from './app/http.server'
import { holdEmbeddedDatabase, isEmbeddedDatabaseBusy } from './db/embedded-lock'
import { closeServices, createServices } from './core/services.server'
import { startWorker, type Worker } from './jobs/worker'
import { serveCli } from './scripts/cli-socket'

async function main() {
  let config
  try {
    config = loadConfig()
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message)
      process.exit(2)
    }
    throw error
  }
  let lock: { release(): void } | null = null
  if (!config.DATABASE_URL) {
    const busy = isEmbeddedDatabaseBusy(config.DATA_DIR)
    if (busy) {
      console.error(`The embedded database in ${config.DATA_DIR} is in use by another Trickle process (pid ${busy.pid}). Stop it first, or set DATABASE_URL.`)
      process.exit(2)
    }
    lock = holdEmbeddedDatabase(config.DATA_DIR)
  }
  const services = await createServices(config, { role: 'web' })
  // The CLI cannot open the embedded database while this process holds it: it runs its commands here.
  const cli = lock
    ? await serveCli({ dataDir: config.DATA_DIR, config, database: services.database, onError: (err) => services.logger.error({ err }, 'CLI command failed') }).catch(
        (err: unknown) => {
          services.logger.warn({ err }, 'The CLI socket could not be opened; `npm run trickle` will ask to stop the server first')
          return null
        },
      )
    : null
  const worker: Worker | null = config.RUN_WORKER ? await startWorker(services) : null

  const app = createHttpApp({ services, build: await loadServerBuild() })
  const server = app.listen(config.PORT, config.HOST, () => {
    const address = server.address()
    const port = typeof address === 'object' && address ? address.port : config.PORT
    const url = publicUrl(config, port)
    services.logger.info(
      { url, host: config.HOST, port, database: services.database.kind, jobs: services.jobs.kind, worker: Boolean(worker) },
      `Trickle is running on ${url} (listening on ${config.HOST}:${port}; database: ${services.database.kind}, jobs: ${services.jobs.kind}${worker ? ', worker inside' : ''})`,
    )
  })

  let stopping = false
  const shutdown = async (signal: string) => {
    if (stopping) return
    stopping = true
    services.logger.info({ signal }, `${signal}: stopping — no new requests or jobs, draining running ones…`)
    await new Promise<void>((resolve) => server.close(() => resolve()))
    await worker?.stop()
    await cli?.close()
    await closeServices(services)
    lock?.release()
    process.exit(0)
  }
  process.once('SIGTERM', () => void shutdown('SIGTERM'))
  process.once('SIGINT', () => void shutdown('SIGINT'))
}

await main()
