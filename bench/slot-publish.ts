/**
 * The publish statement's PostgreSQL cost under decision 114's slot trigger and decision 116's changes, A/B
 * in one database, interleaved (the machine's load swings alike for both): `--posts` queued deliveries of one
 * series on one account, all in one 15-minute slot, published by `--connections` connections at once, each
 * an autocommit `UPDATE deliveries SET state = 'published'` (what the record statement does to the row).
 * Designs: `hot` (0031's post_slot_rollups_add: an upsert of the slot's row), `changes` (0032's: an insert
 * into post_slot_changes; the fold after the burst is measured apart) and `none` (the delivery trigger off:
 * the floor). Prints, per run, publishes/s and the publishing backends' own CPU per publish from
 * /proc/<pid>/stat, and /proc/loadavg at start and end.
 *
 * Run: DATABASE_URL=postgres://… npx tsx bench/slot-publish.ts [--posts=2000] [--connections=16] [--rounds=3]
 */
import { readFileSync } from 'node:fs'
import postgres from 'postgres'
import { createTestDatabase } from '../test/db'

const arg = (name: string, fallback: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? fallback
const POSTS = Number(arg('posts', '2000'))
const CONNECTIONS = Number(arg('connections', '16'))
const ROUNDS = Number(arg('rounds', '3'))
const loadavg = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')
/** A process's own CPU (user + system) in ms. */
const cpuMs = (pid: number) => {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100
}

// 0031's function (the slot row upserted on every change), on the table as 0032 renamed it.
const migration31 = readFileSync(new URL('../db/migrations/0031_series_slot_rollups.sql', import.meta.url), 'utf8')
const hot = migration31
  .slice(migration31.indexOf('CREATE FUNCTION post_slot_rollups_add'), migration31.indexOf('--> statement-breakpoint', migration31.indexOf('CREATE FUNCTION post_slot_rollups_add')))
  .replace('CREATE FUNCTION', 'CREATE OR REPLACE FUNCTION')
  .replace('INSERT INTO post_slot_rollups AS s', 'INSERT INTO post_slot_rollups_folded AS s')
  .replace('UPDATE post_slot_rollups s', 'UPDATE post_slot_rollups_folded s')

const database = await createTestDatabase()
const admin = postgres(database.url!, { max: 1, onnotice: () => undefined })
try {
  const changes = (await admin`SELECT pg_get_functiondef('post_slot_rollups_add(post_rollups, integer)'::regprocedure) AS d`)[0]!.d as string
  const [ws] = await admin`INSERT INTO workspaces (name) VALUES ('slot publish') RETURNING id`
  await admin`INSERT INTO accounts (id, workspace_id, kind, remote_account_id, handle, credentials_ciphertext, credentials_key_version)
    VALUES (md5('sp')::uuid, ${ws!.id}, 'x', 'x-1', 'brand', 'none', 1)`
  const clients = Array.from({ length: CONNECTIONS }, () => postgres(database.url!, { max: 1, onnotice: () => undefined }))
  const pids = await Promise.all(clients.map(async (c) => (await c`SELECT pg_backend_pid() AS pid`)[0]!.pid as number))
  console.log(`slot publish: ${POSTS} posts of one slot, ${CONNECTIONS} connections, ${ROUNDS} rounds; load ${loadavg()}`)
  console.log('| round | design | publishes/s | PostgreSQL CPU per publish (publishing backends) | fold CPU per publish | load at end |')
  console.log('|---|---|---|---|---|---|')
  for (let round = 1; round <= ROUNDS; round++) {
    for (const design of ['hot', 'changes', 'none'] as const) {
      await admin.unsafe(design === 'hot' ? hot : changes)
      await admin.unsafe(`ALTER TABLE deliveries ${design === 'none' ? 'DISABLE' : 'ENABLE'} TRIGGER post_rollups_delivery_update`)
      const [seq] = await admin`INSERT INTO sequences (workspace_id, kind, name) VALUES (${ws!.id}, 'series', ${`${design} ${round}`}) RETURNING id`
      const [step] = await admin`INSERT INTO sequence_steps (workspace_id, sequence_id, position, content) VALUES (${ws!.id}, ${seq!.id}, 0, '{"parts":[]}') RETURNING id`
      const ids = (
        await admin`INSERT INTO deliveries (workspace_id, sequence_id, step_id, account_id, cycle, due_at, state)
          SELECT ${ws!.id}, ${seq!.id}, ${step!.id}, md5('sp')::uuid, n, '2026-11-03T09:00:00Z'::timestamptz + make_interval(secs => n % 900), 'queued'
          FROM generate_series(1, ${POSTS}) n RETURNING id`
      ).map((r) => r.id as string)
      await admin`VACUUM ANALYZE deliveries`.catch(() => undefined)
      const before = pids.map(cpuMs)
      const started = performance.now()
      let next = 0
      await Promise.all(
        clients.map(async (c) => {
          for (let i = next++; i < ids.length; i = next++) {
            await c`UPDATE deliveries SET state = 'published', published_at = due_at, remote_id = 'r', version = version + 1 WHERE id = ${ids[i]!}`
          }
        }),
      )
      const seconds = (performance.now() - started) / 1000
      const cpu = pids.map(cpuMs).reduce((sum, ms, i) => sum + ms - before[i]!, 0)
      let fold = '–'
      if (design === 'changes') {
        const adminPid = (await admin`SELECT pg_backend_pid() AS pid`)[0]!.pid as number
        const f0 = cpuMs(adminPid)
        await admin`SELECT post_slot_rollups_fold()`
        fold = `${((cpuMs(adminPid) - f0) / POSTS).toFixed(3)} ms`
      }
      const [check] = await admin`SELECT coalesce(sum(posts), 0)::int AS n FROM post_slot_rollups WHERE sequence_id = ${seq!.id}`
      if (design !== 'none' && check!.n !== POSTS) throw new Error(`${design}: ${check!.n} posts counted of ${POSTS}`)
      console.log(`| ${round} | ${design} | ${Math.round(POSTS / seconds)} | ${(cpu / POSTS).toFixed(3)} ms | ${fold} | ${loadavg()} |`)
    }
  }
  await Promise.all(clients.map((c) => c.end()))
} finally {
  await admin.end()
  await database.close()
}
