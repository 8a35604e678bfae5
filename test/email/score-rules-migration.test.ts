import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { sql } from 'drizzle-orm'
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator'
import { migrate as migratePostgres } from 'drizzle-orm/postgres-js/migrator'
import { migrationsFolder } from '../../db/client'
import { createTestDatabase } from '../db'

/** Migration 0014 moves email_settings.score_rules into score_rules; every other workspace keeps opened +1 and clicked +2. */

it('keeps each existing workspace scoring as before', async () => {
  const before = mkdtempSync(path.join(tmpdir(), 'trickle-migrations-'))
  const database = await createTestDatabase({ migrate: false })
  const migrate = (folder: string) => (database.kind === 'postgres' ? migratePostgres(database.db as never, { migrationsFolder: folder }) : migratePglite(database.db as never, { migrationsFolder: folder }))
  try {
    cpSync(migrationsFolder, before, { recursive: true })
    const journalFile = path.join(before, 'meta', '_journal.json')
    const journal = JSON.parse(readFileSync(journalFile, 'utf8')) as { entries: Array<{ tag: string }> }
    journal.entries = journal.entries.filter((e) => e.tag < '0014')
    writeFileSync(journalFile, JSON.stringify(journal))
    await migrate(before)

    await database.db.execute(sql`INSERT INTO workspaces (id, name) VALUES
      ('00000000-0000-4000-8000-000000000001', 'Defaults'), ('00000000-0000-4000-8000-000000000002', 'Custom'), ('00000000-0000-4000-8000-000000000003', 'Sender only')`)
    await database.db.execute(sql`INSERT INTO email_settings (workspace_id, from_name, from_email, postal_address, score_rules) VALUES
      ('00000000-0000-4000-8000-000000000002', 'B', 'b@b.test', 'Addr', ${JSON.stringify([{ on: 'clicked', points: 3 }, { on: 'event', name: 'demo_booked', points: 10 }])}::jsonb),
      ('00000000-0000-4000-8000-000000000003', 'C', 'c@c.test', 'Addr', NULL)`)
    await migrate(migrationsFolder)

    const rows = await database.db.execute(sql`SELECT w.name, r.kind, r.event_name, r.points FROM score_rules r JOIN workspaces w ON w.id = r.workspace_id ORDER BY w.name, r.kind`)
    const list = ((rows as { rows?: unknown }).rows ?? rows) as Array<{ name: string; kind: string; event_name: string; points: number }>
    expect(list.map((r) => `${r.name}: ${r.kind}${r.event_name ? ` ${r.event_name}` : ''} ${r.points}`)).toEqual([
      'Custom: clicked 3',
      'Custom: event demo_booked 10',
      'Defaults: clicked 2',
      'Defaults: opened 1',
      'Sender only: clicked 2',
      'Sender only: opened 1',
    ])
  } finally {
    await database.close()
    rmSync(before, { recursive: true, force: true })
  }
})
