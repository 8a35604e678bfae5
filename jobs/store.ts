import { mkdirSync } from 'node:fs'
import path from 'node:path'
import { PGlite } from '@electric-sql/pglite'
import { PGLiteSocketServer } from '@electric-sql/pglite-socket'
import { MongoBackend } from '@agendajs/mongo-backend'
import { PostgresBackend } from '@agendajs/postgres-backend'
import { Agenda, type AgendaConfig } from 'agenda'

export type JobStoreKind = 'mongodb' | 'postgres' | 'embedded'

export type JobStore = {
  kind: JobStoreKind
  agenda: Agenda
  /** Stop processing (draining running jobs up to `drainMs`) and release every connection. */
  close(options?: { drainMs?: number }): Promise<void>
}

export type OpenJobStoreOptions = {
  /** Production store. */
  mongodbUrl?: string
  /** Used when no MongoDB is configured: Agenda's PostgreSQL backend on the app database. */
  databaseUrl?: string
  /** Used when neither is configured: an embedded PGlite (directory, or null for memory) served over a loopback socket. */
  embeddedDataDir?: string | null
  /** Identifies this process in lock ownership (lastModifiedBy). */
  name?: string
  agenda?: Omit<AgendaConfig, 'backend'>
}

/** Choose and connect the Agenda backend: MongoDB → PostgreSQL → embedded PGlite (see docs/decisions). */
export async function openJobStore(options: OpenJobStoreOptions): Promise<JobStore> {
  const agendaConfig = { processEvery: '1 second', ...options.agenda, name: options.name }
  if (options.mongodbUrl) {
    const backend = new MongoBackend({ address: options.mongodbUrl, collection: 'trickle_jobs' })
    const agenda = new Agenda({ ...agendaConfig, backend })
    await agenda.ready
    return { kind: 'mongodb', agenda, close: (o) => stopAgenda(agenda, o?.drainMs) }
  }
  if (options.databaseUrl) {
    const backend = new PostgresBackend({ connectionString: options.databaseUrl, tableName: 'trickle_jobs', channelName: 'trickle_jobs' })
    const agenda = new Agenda({ ...agendaConfig, backend })
    await agenda.ready
    return { kind: 'postgres', agenda, close: (o) => stopAgenda(agenda, o?.drainMs) }
  }
  const dir = options.embeddedDataDir
  if (dir) mkdirSync(path.resolve(dir), { recursive: true })
  const pglite = dir ? await PGlite.create(path.resolve(dir)) : await PGlite.create()
  const server = new PGLiteSocketServer({ db: pglite, host: '127.0.0.1', port: 0, maxConnections: 16 })
  await server.start()
  const backend = new PostgresBackend({
    connectionString: `postgres://postgres@${server.getServerConn()}/postgres`,
    tableName: 'trickle_jobs',
    // LISTEN/NOTIFY does not work through pglite-socket: Agenda polls instead.
    disableNotifications: true,
    poolConfig: undefined,
  })
  const agenda = new Agenda({ ...agendaConfig, backend })
  await agenda.ready
  return {
    kind: 'embedded',
    agenda,
    async close(o) {
      await stopAgenda(agenda, o?.drainMs)
      await server.stop()
      await pglite.close()
    },
  }
}

async function stopAgenda(agenda: Agenda, drainMs = 30_000): Promise<void> {
  await agenda.drain(drainMs)
}
