import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { createRequestHandler } from '@remix-run/express'
import type { ServerBuild } from '@remix-run/node'
import express from 'express'
import { loadConfig, ConfigError } from './app/utils/env.server'
import { closeServices, createServices } from './app/utils/services.server'
import { startWorker, type Worker } from './jobs/worker'

const root = path.dirname(fileURLToPath(import.meta.url))

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
  const services = await createServices(config, { role: 'web' })
  const worker: Worker | null = config.RUN_WORKER ? await startWorker(services) : null

  const build = (await import(path.join(root, 'build/index.js'))) as ServerBuild
  const app = express()
  app.disable('x-powered-by')
  app.use('/build', express.static(path.join(root, 'public/build'), { immutable: true, maxAge: '1y' }))
  app.use(express.static(path.join(root, 'public'), { maxAge: '1h' }))
  app.all('*', createRequestHandler({ build, getLoadContext: () => ({ services }) }))

  const server = app.listen(config.PORT, config.HOST, () => {
    const address = server.address()
    const port = typeof address === 'object' && address ? address.port : config.PORT
    console.log(`Trickle is running on http://localhost:${port} (database: ${services.database.kind}, jobs: ${services.jobs.kind}${worker ? ', worker inside' : ''})`)
  })

  let stopping = false
  const shutdown = async (signal: string) => {
    if (stopping) return
    stopping = true
    console.log(`${signal}: stopping — no new requests or jobs, draining running ones…`)
    await new Promise<void>((resolve) => server.close(() => resolve()))
    await worker?.stop()
    await closeServices(services)
    process.exit(0)
  }
  process.once('SIGTERM', () => void shutdown('SIGTERM'))
  process.once('SIGINT', () => void shutdown('SIGINT'))
}

await main()
