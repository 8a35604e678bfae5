import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { sql } from 'drizzle-orm'
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator'
import { migrate as migratePostgres } from 'drizzle-orm/postgres-js/migrator'
import postgres from 'postgres'
import { migrationsFolder, openDatabase, type Database } from '../../db/client'
import { insertSignupForm } from '../../db/queries/contacts'
import { findTriggeredDrips, getDrip } from '../../db/queries/drips'
import { insertSegment, listSegmentUses } from '../../db/queries/segments'
import { sequences, workspaces } from '../../db/schema'
import { fixedClock } from '../../domain/clock'
import { runDripTriggers } from '../../core/drips/triggers.server'
import { withDatabase } from '../db'

/**
 * Drips stored before decision 071 have one `settings.trigger`, and their segment-entry rows no segment:
 * migration 0012 turns the first into `settings.triggers: [trigger]` and fills in the second, so every
 * reader (the triggers, the list, the segment's "used by") sees one shape.
 */
const MIGRATION = '0012_drip_triggers'
let database: Database
let dropDatabase = async () => {}
const folders: string[] = []

/** The committed migrations up to (not including) `tag`, in a folder of their own. */
function migrationsBefore(tag: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'trickle-migrations-'))
  folders.push(dir)
  cpSync(migrationsFolder, dir, { recursive: true })
  const journalPath = path.join(dir, 'meta', '_journal.json')
  const journal = JSON.parse(readFileSync(journalPath, 'utf8')) as { entries: Array<{ tag: string }> }
  journal.entries = journal.entries.slice(0, journal.entries.findIndex((e) => e.tag === tag))
  writeFileSync(journalPath, JSON.stringify(journal))
  return dir
}

async function migrateTo(folder: string) {
  if (database.kind === 'postgres') await migratePostgres(database.db as never, { migrationsFolder: folder })
  else await migratePglite(database.db as never, { migrationsFolder: folder })
}

beforeAll(async () => {
  const serverUrl = process.env.DATABASE_URL
  if (!serverUrl) {
    database = await openDatabase({ dataDir: null, migrate: false })
    return
  }
  const name = `trickle_t_legacy_${process.pid}`
  const admin = postgres(serverUrl, { max: 1, onnotice: () => {} })
  await admin.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
  await admin.unsafe(`CREATE DATABASE ${name}`)
  await admin.end()
  database = await openDatabase({ url: withDatabase(serverUrl, name), max: 2, migrate: false })
  dropDatabase = async () => {
    const dropper = postgres(serverUrl, { max: 1, onnotice: () => {} })
    await dropper.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
    await dropper.end()
  }
})
afterAll(async () => {
  await database?.close()
  await dropDatabase()
  for (const dir of folders) rmSync(dir, { recursive: true, force: true })
})

describe('migration 0012: stored single triggers', () => {
  it('reads a legacy `settings.trigger` as `triggers: [trigger]` and keeps segment members as they were', async () => {
    await migrateTo(migrationsBefore(MIGRATION))
    const db = database.db
    const at = new Date('2026-11-02T08:00:00Z')
    const ts = sql`${at.toISOString()}::timestamptz`
    const [ws] = await db.insert(workspaces).values({ name: 'Legacy' }).returning()
    const workspaceId = ws!.id
    const form = await insertSignupForm(db, { workspaceId, name: 'Newsletter', consentText: 'Yes' })
    const seg = await insertSegment(db, { workspaceId, name: 'VIPs', rule: { match: 'all', conditions: [{ kind: 'tag', tag: 'vip', has: true }] }, at })
    // Raw SQL: the contacts table of this older schema lacks columns the current model writes (phone, 0015).
    const [vip] = rowsOf(await db.execute(sql`INSERT INTO contacts (workspace_id, email, tags, status, created_at, updated_at)
      VALUES (${workspaceId}, 'vip@example.com', ARRAY['vip'], 'subscribed', ${ts}, ${ts}) RETURNING id`)) as Array<{ id: string }>
    const legacy = (name: string, trigger: object) =>
      db.execute(sql`INSERT INTO sequences (workspace_id, kind, name, timezone, status, settings, created_at, updated_at)
        VALUES (${workspaceId}, 'drip', ${name}, 'UTC', 'active', ${JSON.stringify({ trigger, reentry: 'every_time', goals: [] })}::jsonb, ${ts}, ${ts}) RETURNING id`)
    await legacy('By form', { kind: 'form', formId: form.id })
    await legacy('By segment', { kind: 'segment', segmentId: seg.id })
    const [bySegment] = await db.select({ id: sequences.id }).from(sequences).where(sql`${sequences.name} = 'By segment'`)
    await db.execute(sql`INSERT INTO sequence_steps (workspace_id, sequence_id, position, content, settings, created_at, updated_at)
      SELECT workspace_id, id, 0, ${JSON.stringify({ parts: [{ text: 'x' }], email: { subject: 'Hi', markdown: 'x' } })}::jsonb, ${JSON.stringify({ delay: 'P0D', after: 'previous-step', onFalse: 'skip' })}::jsonb, ${ts}, ${ts} FROM sequences`)
    // The VIP was in the segment at the last look (and was enrolled then).
    await db.execute(sql`INSERT INTO drip_segment_members (workspace_id, sequence_id, contact_id, in_segment, entries, seen_at, changed_at)
      VALUES (${workspaceId}, ${bySegment!.id}, ${vip!.id}, true, 1, ${ts}, ${ts})`)

    await migrateTo(migrationsFolder)

    const drip = await getDrip(db, { workspaceId, dripId: bySegment!.id })
    expect(drip!.drip.settings).toEqual({ triggers: [{ kind: 'segment', segmentId: seg.id }], reentry: 'every_time', goals: [] })
    expect((await findTriggeredDrips(db, { workspaceId, kind: 'form', key: form.id })).map((d) => d.name)).toEqual(['By form'])
    expect(await listSegmentUses(db, { workspaceId })).toEqual([{ segmentId: seg.id, dripId: bySegment!.id, dripName: 'By segment', as: 'trigger' }])
    expect(rowsOf(await db.execute(sql`SELECT segment_id, contact_id, in_segment FROM drip_segment_members`))).toEqual([{ segment_id: seg.id, contact_id: vip!.id, in_segment: true }])
    // Still in the segment: not a new entry, so not enrolled again even under every_time.
    expect(await runDripTriggers({ db, clock: fixedClock(new Date(at.getTime() + 60_000)) })).toEqual({ date: 0, segment: 0 })
    const raw = await db.execute(sql`SELECT settings FROM sequences WHERE settings ? 'trigger'`)
    expect(rowsOf(raw)).toEqual([])
  })
})

function rowsOf(result: unknown): unknown[] {
  return Array.isArray(result) ? result : ((result as { rows?: unknown[] }).rows ?? [])
}
