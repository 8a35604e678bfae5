import { createHash } from 'node:crypto'
import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import postgres from 'postgres'
import { migrationsFolder, openDatabase } from '../db/client'
import { openJobStore } from '../jobs/store'
import { withDatabase } from './db'

/**
 * A migrated database that every test database is copied from (`CREATE DATABASE … TEMPLATE`): a copy
 * takes ~0.1 s where running the migrations takes ~0.7 s, and a run creates a few hundred databases.
 * It holds Agenda's job table as well. Its name carries a hash of the migrations, so a run never copies a template built from other ones
 * (another branch, an edited migration); it is built once per set of migrations and kept.
 */
export async function ensureTemplateDatabase(serverUrl: string): Promise<string> {
  const name = `trickle_tpl_${migrationsHash()}`
  const admin = postgres(serverUrl, { max: 1, onnotice: () => {} })
  try {
    const exists = async () => (await admin`SELECT 1 FROM pg_database WHERE datname = ${name}`).length > 0
    if (await exists()) return name
    // Built under another name and renamed when complete: a run that stops half-way, or two runs
    // building at once, never leave a half-migrated template under the real name.
    const building = `${name}_${process.pid}`
    await admin.unsafe(`CREATE DATABASE ${building}`)
    try {
      const url = withDatabase(serverUrl, building)
      const database = await openDatabase({ url, max: 1 })
      await database.close()
      // Agenda's table too: most suites keep their jobs in the app database.
      const jobs = await openJobStore({ databaseUrl: url, name: 'test-template', poolSize: 1 })
      await jobs.close({ drainMs: 0 })
      // Another run may have finished the same template meanwhile: then theirs serves.
      await admin.unsafe(`ALTER DATABASE ${building} RENAME TO ${name}`).catch(async (error: unknown) => {
        if (!(await exists())) throw error
      })
    } finally {
      await admin.unsafe(`DROP DATABASE IF EXISTS ${building} WITH (FORCE)`)
    }
    return name
  } finally {
    await admin.end()
  }
}

function migrationsHash(): string {
  const hash = createHash('sha256')
  const files = (folder: string): string[] =>
    readdirSync(folder, { withFileTypes: true })
      .flatMap((entry) => (entry.isDirectory() ? files(path.join(folder, entry.name)) : [path.join(folder, entry.name)]))
      .sort()
  for (const file of files(migrationsFolder)) hash.update(path.relative(migrationsFolder, file)).update('\0').update(readFileSync(file)).update('\0')
  return hash.digest('hex').slice(0, 16)
}
