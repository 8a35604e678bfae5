/**
 * The analytics pages' queries at scale (issue #18: p95 ≤ 150 ms with 1,000,000 deliveries and
 * 5,000,000 tracking events stored). Seeds one workspace with 20 five-step drips: one big drip holding
 * half the rows and 19 small ones sharing the rest; every delivery is sent and has, on average, five
 * events (three opens, one click, and a goal event for one contact in five). Then times
 * `loadDripAnalytics` (the page's and the API's numbers, read from the roll-ups of decision 094) for the
 * big drip and for a small one, beside, in the same run, bare `count(*)`s of the same drip's deliveries
 * and events (the least any query over those rows can cost) and the raw query the roll-ups replaced
 * (the tests' oracle). Prints p50/p95 and the ratios. The seed writes with the triggers off, as a bulk
 * import would, then runs the backfill (`drip_rollups_rebuild` per drip) and prints its time.
 *
 * The social side (decision 084): 10 series (a big one of 1,000 posts, nine of 100) on three accounts,
 * each post published with three metrics reads (1 h, 24 h, 7 d) and a short link, and link clicks making
 * up the rest of the 5,000,000 events (800,000 at full size; half on the big series). The big drip and the
 * big series share the campaign "Launch". Timed the same way, each beside bare `count(*)`s of its rows:
 * the series analytics page (`loadSeriesAnalytics`: big and small series), the campaign funnel
 * (`loadCampaignAnalytics`) and the workspace overview (`/app/analytics`: `loadAnalytics` + `listCampaigns`).
 * And the drip edit page's counts (`getDrip` + `countEnrollmentsByTrigger`), which, like the overview, read
 * the roll-ups since decision 104. One delivery in 100 has a soft bounce and one in 200 a hard bounce.
 * The series page and the funnel read the slot roll-ups (decision 114: `post_slot_rollups_folded` and, since
 * decision 116, the changes not folded yet), written by the seed's `post_rollups_rebuild` (and by migration
 * 0031 on a database kept before it).
 *
 * Run: DATABASE_URL=postgres://… npx tsx bench/analytics.ts [--deliveries 1000000] [--runs 30]
 *      [--keep] (leave the seeded database and print its name) [--reuse <database>] (time one kept before;
 *      pending migrations, such as 0018's backfill, run first and are timed) [--drips big,small]
 *      [--raw-runs 3] (runs of the raw query; 0 skips it: the big drip's takes ~20 s a run)
 *      [--pages drips,edit,series,campaign,overview] (which pages to time) [--overview-runs 30]
 */
import os from 'node:os'
import { sql } from 'drizzle-orm'
import { createDrip, getDrip } from '../core/drips.server'
import { countEnrollmentsByTrigger } from '../core/drip-queries.server'
import { loadDripAnalytics, resolvePeriod, wholeDays } from '../core/drips/analytics.server'
import { loadSeriesAnalytics } from '../core/series/analytics.server'
import { listCampaigns, loadCampaignAnalytics } from '../core/campaign-analytics.server'
import { loadAnalytics } from '../core/analytics.server'
import { createSequence } from '../db/queries/sequences'
import { dripAnalyticsRows } from '../db/queries/drip-analytics'
import type { Services } from '../core/services.server'
import { workspaces } from '../db/schema'
import { openDatabase } from '../db/client'
import { createTestDatabase, withDatabase } from '../test/db'

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`)
  return i >= 0 ? process.argv[i + 1]! : fallback
}
const DELIVERIES = Number(arg('deliveries', '1000000'))
const RUNS = Number(arg('runs', '30'))
const RAW_RUNS = Number(arg('raw-runs', '3'))
// The workspace overview read every drip's counts from the raw rows (getDrip) until decision 104: seconds a run then.
const OVERVIEW_RUNS = Number(arg('overview-runs', String(RUNS)))
const STEPS = 5
const DRIPS = 20
const GOAL_MS = 150
const NOW = new Date('2026-12-01T00:00:00Z')
const SERIES = 10
const BIG_POSTS = 1000
const SMALL_POSTS = 100
const NETWORKS = ['x', 'mastodon', 'bluesky']
const CAMPAIGN = 'Launch'
// Bounces (decision 104): one delivery in 100 soft-bounces (a DSN), one in 200 hard-bounces.
const SOFT_EVERY = 100
const HARD_EVERY = 200
// The events the drips' seed leaves short of 5,000,000 (per 1,000,000 deliveries) are link clicks.
const LINK_CLICKS = Math.round((DELIVERIES / 1_000_000) * 800_000) - Math.floor(DELIVERIES / SOFT_EVERY) - Math.floor(DELIVERIES / HARD_EVERY)

if (!process.env.DATABASE_URL) {
  console.error('DATABASE_URL is required (a PostgreSQL server): the embedded database is not what this measures.')
  process.exit(1)
}

const REUSE = arg('reuse', '')
const KEEP = process.argv.includes('--keep')
const opened = performance.now()
const database = REUSE ? await openDatabase({ url: withDatabase(process.env.DATABASE_URL, REUSE), max: 2, migrate: true }) : await createTestDatabase()
if (REUSE) console.log(`opened and migrated in ${((performance.now() - opened) / 1000).toFixed(1)} s`)
const db = database.db
const services = { database, clock: { now: () => NOW } } as unknown as Services

const quantile = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))]!
async function time(runs: number, fn: () => Promise<unknown>): Promise<{ p50: number; p95: number }> {
  await fn() // warm: plans and caches
  const ms: number[] = []
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now()
    await fn()
    ms.push(performance.now() - t0)
  }
  return { p50: quantile(ms, 0.5), p95: quantile(ms, 0.95) }
}

/** 20 drips of five steps, their contacts, enrollments, deliveries and events (all set-based SQL). */
async function seed(): Promise<{ workspaceId: string; drips: string[]; series: string[] }> {
  const t0 = performance.now()
  const [ws] = await db.insert(workspaces).values({ name: 'Bench' }).returning()
  const workspaceId = ws!.id
  const drips: string[] = []
  for (let d = 0; d < DRIPS; d++) {
    const steps = Array.from({ length: STEPS }, (_, i) => ({ subject: `Step ${i + 1}`, markdown: 'Hello [link](https://example.com/a)', ...(i ? { delay: 'P1D' } : {}) }))
    drips.push((await createDrip(services, { workspaceId, input: { name: `Drip ${d}`, steps, goals: ['purchase'], ...(d === 0 ? { campaign: CAMPAIGN } : {}) } })).id)
  }
  const series: string[] = []
  for (let i = 0; i < SERIES; i++) {
    const posts = i === 0 ? BIG_POSTS : SMALL_POSTS
    const steps = Array.from({ length: posts }, (_, n) => ({ parts: [{ text: `Post ${n + 1}: https://brand.test/p/${n + 1}`, images: [] }] }))
    series.push((await createSequence(db, { workspaceId, kind: 'series', name: `Series ${i}`, steps, shortLinks: true, campaign: i === 0 ? CAMPAIGN : null, clock: services.clock })).sequence.id)
  }
  const enrollments = Math.ceil(DELIVERIES / STEPS)
  const big = Math.floor(enrollments / 2)
  await db.transaction(async (db) => {
    // A bulk import: the roll-up triggers off (this transaction only), then the backfill below.
    await db.execute(sql`SET LOCAL session_replication_role = replica`)
    // Contacts, one enrollment each: the first half in the big drip, the rest spread over the others.
    await db.execute(sql`
      INSERT INTO contacts (id, workspace_id, email, status, created_at, updated_at)
      SELECT md5('c' || i)::uuid, ${workspaceId}, 'c' || i || '@bench.test', 'subscribed', ${NOW.toISOString()}::timestamptz, ${NOW.toISOString()}::timestamptz
      FROM generate_series(1, ${enrollments}) i`)
    await db.execute(sql`
      INSERT INTO enrollments (id, workspace_id, sequence_id, contact_id, status, step_position, source, started_at)
      SELECT md5('e' || i)::uuid, ${workspaceId},
        (${JSON.stringify(drips)}::jsonb ->> (CASE WHEN i <= ${big} THEN 0 ELSE 1 + (i % ${DRIPS - 1}) END))::uuid,
        md5('c' || i)::uuid, CASE WHEN i % 5 = 0 THEN 'goal_reached' ELSE 'completed' END, ${STEPS}, 'bench',
        ${NOW.toISOString()}::timestamptz - make_interval(days => 6, mins => (i % 40000))
      FROM generate_series(1, ${enrollments}) i`)
    await db.execute(sql`
      INSERT INTO deliveries (id, workspace_id, sequence_id, step_id, enrollment_id, due_at, state, published_at)
      SELECT md5('d' || e.id || s.position)::uuid, e.workspace_id, e.sequence_id, s.id, e.id,
        e.started_at + make_interval(days => s.position), 'published', e.started_at + make_interval(days => s.position, secs => 5)
      FROM enrollments e JOIN sequence_steps s ON s.sequence_id = e.sequence_id
      WHERE e.workspace_id = ${workspaceId}`)
    // Five events per delivery on average: three opens, a click, and a goal for one enrollment in five (on its first step).
    await db.execute(sql`
      INSERT INTO contact_events (workspace_id, contact_id, type, name, properties, sequence_id, enrollment_id, step_id, occurred_at)
      SELECT d.workspace_id, e.contact_id, k.type, NULL, k.properties, d.sequence_id, d.enrollment_id, d.step_id, d.published_at + make_interval(mins => k.n)
      FROM deliveries d JOIN enrollments e ON e.id = d.enrollment_id
      CROSS JOIN (VALUES ('opened', '{}'::jsonb, 1), ('opened', '{}'::jsonb, 2), ('opened', '{}'::jsonb, 3), ('clicked', '{"url":"https://example.com/a"}'::jsonb, 4)) AS k(type, properties, n)
      WHERE d.workspace_id = ${workspaceId}`)
    await db.execute(sql`
      INSERT INTO contact_events (workspace_id, contact_id, type, name, properties, sequence_id, enrollment_id, step_id, occurred_at)
      SELECT d.workspace_id, e.contact_id, k.type, NULL, k.properties, d.sequence_id, d.enrollment_id, d.step_id, d.published_at + interval '10 minutes'
      FROM (SELECT d.*, row_number() OVER (ORDER BY d.id) AS n FROM deliveries d WHERE d.workspace_id = ${workspaceId}) d JOIN enrollments e ON e.id = d.enrollment_id
      CROSS JOIN LATERAL (
        SELECT 'soft_bounced' AS type, '{"source":"dsn","action":"failed","status":"4.2.2"}'::jsonb AS properties WHERE d.n % ${SOFT_EVERY} = 0
        UNION ALL SELECT 'bounced', '{"source":"dsn","status":"5.1.1"}'::jsonb WHERE d.n % ${HARD_EVERY} = 1
      ) k`)
    await db.execute(sql`
      INSERT INTO contact_events (workspace_id, contact_id, type, name, properties, occurred_at)
      SELECT e.workspace_id, e.contact_id, 'event', 'purchase', '{"value": 20, "currency": "EUR"}'::jsonb, e.started_at + interval '1 hour'
      FROM enrollments e JOIN generate_series(1, ${STEPS}) g ON true
      WHERE e.workspace_id = ${workspaceId} AND e.status = 'goal_reached'`)
    // The social side: each series' rule (the overview lists series with their timing), three accounts; every post of every series published on each, spread over 80 days.
    await db.execute(sql`
      INSERT INTO series_timings (sequence_id, workspace_id, rule, start, timezone)
      SELECT id, workspace_id, 'FREQ=DAILY;COUNT=' || CASE WHEN name = 'Series 0' THEN ${BIG_POSTS} ELSE ${SMALL_POSTS} END, '2026-09-01T09:00', 'UTC'
      FROM sequences WHERE workspace_id = ${workspaceId} AND kind = 'series'`)
    await db.execute(sql`
      INSERT INTO accounts (id, workspace_id, kind, remote_account_id, handle, credentials_ciphertext, credentials_key_version)
      SELECT md5('a' || k)::uuid, ${workspaceId}, k, k || '-1', 'brand_' || k, 'none', 1 FROM unnest(${`{${NETWORKS.join(',')}}`}::text[]) k`)
    await db.execute(sql`
      INSERT INTO deliveries (id, workspace_id, sequence_id, step_id, account_id, due_at, state, published_at, remote_id)
      SELECT md5('p' || st.id || a.id)::uuid, ${workspaceId}, st.sequence_id, st.id, a.id, t.at, 'published', t.at + interval '2 seconds', md5('r' || st.id || a.id)
      FROM sequence_steps st JOIN sequences s ON s.id = st.sequence_id AND s.kind = 'series' AND s.workspace_id = ${workspaceId}
      CROSS JOIN accounts a
      CROSS JOIN LATERAL (SELECT ${NOW.toISOString()}::timestamptz - make_interval(days => 1 + (st.position % 80), hours => st.position % 24) AS at) t
      WHERE a.workspace_id = ${workspaceId}`)
    await db.execute(sql`
      INSERT INTO post_metrics (workspace_id, delivery_id, age, state, fetched_at, impressions, likes, reposts, replies, quotes, bookmarks)
      SELECT d.workspace_id, d.id, g.age, 'done', d.published_at + g.after, 100 * g.n + length(d.id::text), 3 * g.n, g.n, g.n - 1, 0, g.n
      FROM deliveries d CROSS JOIN (VALUES ('1h', interval '1 hour', 1), ('24h', interval '1 day', 2), ('7d', interval '7 days', 3)) AS g(age, after, n)
      WHERE d.workspace_id = ${workspaceId} AND d.account_id IS NOT NULL`)
    await db.execute(sql`
      INSERT INTO short_links (id, workspace_id, code, delivery_id, sequence_id, step_id, network, original_url, target_url)
      SELECT md5('l' || d.id)::uuid, d.workspace_id, substr(md5('code' || d.id), 1, 16), d.id, d.sequence_id, d.step_id, a.kind, 'https://brand.test/p', 'https://brand.test/p?utm_source=' || a.kind
      FROM deliveries d JOIN accounts a ON a.id = d.account_id
      WHERE d.workspace_id = ${workspaceId}`)
    const LINKS = (BIG_POSTS + (SERIES - 1) * SMALL_POSTS) * NETWORKS.length
    const bigLinks = BIG_POSTS * NETWORKS.length
    // Link clicks: half on the big series' links, the rest on the other series' links, a few hours after each post.
    await db.execute(sql`
      WITH links AS (
        SELECT sl.id, d.published_at, sl.sequence_id = ${series[0]!}::uuid AS big, row_number() OVER (PARTITION BY sl.sequence_id = ${series[0]!}::uuid ORDER BY sl.id) - 1 AS k
        FROM short_links sl JOIN deliveries d ON d.id = sl.delivery_id WHERE sl.workspace_id = ${workspaceId}
      )
      INSERT INTO link_clicks (workspace_id, short_link_id, clicked_at)
      SELECT ${workspaceId}, l.id, l.published_at + make_interval(mins => i % 600)
      FROM generate_series(0, ${LINK_CLICKS - 1}) i
      JOIN links l ON l.big = (i % 2 = 0) AND l.k = CASE WHEN i % 2 = 0 THEN (i / 2) % ${bigLinks} ELSE (i / 2) % ${LINKS - bigLinks} END`)
  })
  // Statistics first: the backfill's plans over freshly written tables are otherwise nested loops (minutes).
  await db.execute(sql`ANALYZE`)
  const backfill = performance.now()
  await db.execute(sql`SELECT drip_rollups_rebuild(id) FROM sequences WHERE workspace_id = ${workspaceId}`)
  // The link clicks' roll-up, as migration 0027's backfill writes it.
  await db.execute(sql`INSERT INTO link_click_rollups (short_link_id, day, clicks)
    SELECT short_link_id, (clicked_at AT TIME ZONE 'UTC')::date, count(*) FROM link_clicks WHERE workspace_id = ${workspaceId} GROUP BY 1, 2`)
  // The posts' roll-up, as migration 0028's backfill writes it (decision 108).
  await db.execute(sql`SELECT post_rollups_rebuild(id) FROM sequences WHERE workspace_id = ${workspaceId} AND kind = 'series'`)
  console.log(`backfill (drip_rollups_rebuild of ${DRIPS} drips, link_click_rollups, post_rollups_rebuild of ${SERIES} series) in ${((performance.now() - backfill) / 1000).toFixed(1)} s`)
  await db.execute(sql`VACUUM ANALYZE`)
  console.log(`seeded in ${((performance.now() - t0) / 1000).toFixed(1)} s${KEEP ? ` into database ${new URL((database as { url?: string }).url!).pathname.slice(1)} (kept)` : ''}`)
  return { workspaceId, drips, series }
}

/** A database seeded by an earlier `--keep` run. */
async function seeded(): Promise<{ workspaceId: string; drips: string[]; series: string[] }> {
  const rows = (await db.execute(sql`SELECT s.workspace_id AS "workspaceId", s.id FROM sequences s WHERE s.kind = 'drip' ORDER BY (substring(s.name from 6))::int`)) as unknown as Array<{ workspaceId: string; id: string }>
  const series = (await db.execute(sql`SELECT s.id FROM sequences s WHERE s.kind = 'series' ORDER BY (substring(s.name from 8))::int`)) as unknown as Array<{ id: string }>
  return { workspaceId: rows[0]!.workspaceId, drips: rows.map((r) => r.id), series: series.map((r) => r.id) }
}

try {
  const { workspaceId, drips, series } = REUSE ? await seeded() : await seed()
  if (REUSE) await db.execute(sql`ANALYZE drip_rollups, drip_cohort_rollups, drip_link_rollups, drip_conversion_rollups, post_rollups, post_slot_rollups_folded, post_slot_changes`)
  // BENCH_DDL: statements to try (e.g. an index) before timing, separated by `;`.
  const ddl = (process.env.BENCH_DDL ?? '').split(';').filter((x) => x.trim())
  for (const statement of ddl) await db.execute(sql.raw(statement))
  if (ddl.length) await db.execute(sql`ANALYZE`)
  const count = async (table: string) => Number(((await db.execute(sql.raw(`SELECT count(*)::int AS n FROM ${table}`))) as unknown as Array<{ n: number }>)[0]!.n)
  const stored = { deliveries: await count('deliveries'), events: await count('contact_events'), clicks: await count('link_clicks'), metrics: await count('post_metrics'), enrollments: await count('enrollments') }
  console.log(
    `stored: ${stored.deliveries} deliveries, ${stored.events + stored.clicks} events (${stored.events} contact events + ${stored.clicks} link clicks), ${stored.metrics} metrics reads, ${stored.enrollments} enrollments; load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`,
  )
  const pages = arg('pages', 'drips,edit,series,campaign,overview').split(',')
  const report = (label: string, page: { p50: number; p95: number }, bare: { p50: number; p95: number }, extra = '') =>
    console.log(
      `${label}${extra} · p50 ${page.p50.toFixed(1)} ms, p95 ${page.p95.toFixed(1)} ms (goal p95 ≤ ${GOAL_MS} ms: ${page.p95 <= GOAL_MS ? 'PASS' : 'MISS'}) · bare count(*) p50 ${bare.p50.toFixed(1)} ms, p95 ${bare.p95.toFixed(1)} ms · ratio p95 ${(page.p95 / bare.p95).toFixed(2)}×`,
    )
  // The bare count(*)s: a drip's deliveries and events; a series' deliveries, metrics reads and link clicks.
  const bareDrip = (dripId: string) => sql`(SELECT count(*) FROM deliveries WHERE workspace_id = ${workspaceId} AND sequence_id = ${dripId}) + (SELECT count(*) FROM contact_events WHERE workspace_id = ${workspaceId} AND sequence_id = ${dripId})`
  const bareSeries = (seriesId: string) =>
    sql`(SELECT count(*) FROM deliveries WHERE workspace_id = ${workspaceId} AND sequence_id = ${seriesId}) + (SELECT count(*) FROM post_metrics pm JOIN deliveries d ON d.id = pm.delivery_id WHERE d.workspace_id = ${workspaceId} AND d.sequence_id = ${seriesId}) + (SELECT count(*) FROM link_clicks lc JOIN short_links sl ON sl.id = lc.short_link_id WHERE sl.workspace_id = ${workspaceId} AND sl.sequence_id = ${seriesId})`

  const period = { days: 90 }
  if (pages.includes('series')) {
    for (const [label, seriesId] of [
      ['big series', series[0]!],
      ['small series', series[1]!],
    ] as Array<[string, string]>) {
      const a = await loadSeriesAnalytics(services, { workspaceId, seriesId, period })
      const page = await time(RUNS, () => loadSeriesAnalytics(services, { workspaceId, seriesId, period }))
      const bare = await time(RUNS, () => db.execute(sql`SELECT ${bareSeries(seriesId)}`))
      report(`${label}: ${a.totals.posts} posts, ${a.totals.clicks} link clicks · series analytics`, page, bare)
    }
  }
  if (pages.includes('campaign')) {
    const a = await loadCampaignAnalytics(services, { workspaceId, campaign: CAMPAIGN, period })
    const page = await time(RUNS, () => loadCampaignAnalytics(services, { workspaceId, campaign: CAMPAIGN, period }))
    const bare = await time(RUNS, () => db.execute(sql`SELECT ${bareDrip(drips[0]!)} + ${bareSeries(series[0]!)}`))
    report(`campaign "${CAMPAIGN}" (big drip + big series): reach ${a.funnel[0]!.total}, clicks ${a.funnel[1]!.total} · campaign funnel`, page, bare)
  }
  if (pages.includes('overview')) {
    const overview = () => Promise.all([loadAnalytics(services, { workspaceId }), listCampaigns(services, { workspaceId })])
    const [a] = await overview()
    const page = await time(OVERVIEW_RUNS, overview)
    const bare = await time(RUNS, () => db.execute(sql`SELECT (SELECT count(*) FROM deliveries WHERE workspace_id = ${workspaceId}) + (SELECT count(*) FROM contact_events WHERE workspace_id = ${workspaceId})`))
    report(`workspace overview (/app/analytics: ${a.series.length} series, ${a.drips.length} drips, every delivery and event)`, page, bare)
  }
  if (pages.includes('edit')) {
    // The drip edit page's counts (/app/drips/{id}: getDrip's per-step counts and funnel, enrollments per trigger).
    for (const [label, dripId] of [
      ['big drip', drips[0]!],
      ['small drip', drips[1]!],
    ] as Array<[string, string]>) {
      const ids = { workspaceId, dripId }
      const edit = async () => {
        const drip = await getDrip(services, ids)
        return { drip, enrolledBy: await countEnrollmentsByTrigger(services, { ...ids, triggers: drip.settings.triggers }) }
      }
      const { drip } = await edit()
      const page = await time(RUNS, edit)
      const bare = await time(RUNS, () => db.execute(sql`SELECT ${bareDrip(dripId)}`))
      report(`${label}: ${drip.totals.sent} sent, ${drip.totals.enrolled} enrolled, ${drip.totals.bounced} bounced · drip edit page's counts`, page, bare)
    }
  }
  const which = arg('drips', 'big,small').split(',')
  for (const [label, dripId] of (pages.includes('drips') ? [
    ['big drip', drips[0]!],
    ['small drip', drips[1]!],
  ] : []).filter(([label]) => which.includes(label!.split(' ')[0]!)) as Array<[string, string]>) {
    const rows = await loadDripAnalytics(services, { workspaceId, dripId, period })
    const page = await time(RUNS, () => loadDripAnalytics(services, { workspaceId, dripId, period }))
    const bare = await time(RUNS, () => db.execute(sql`SELECT (SELECT count(*) FROM deliveries WHERE workspace_id = ${workspaceId} AND sequence_id = ${dripId}) + (SELECT count(*) FROM contact_events WHERE workspace_id = ${workspaceId} AND sequence_id = ${dripId})`))
    const verdict = page.p95 <= GOAL_MS ? 'PASS' : 'MISS'
    console.log(
      `${label}: ${rows.totals.sent} sent, ${rows.enrolled} enrolled · analytics (roll-ups) p50 ${page.p50.toFixed(1)} ms, p95 ${page.p95.toFixed(1)} ms (goal p95 ≤ ${GOAL_MS} ms: ${verdict}) · bare count(*) p50 ${bare.p50.toFixed(1)} ms, p95 ${bare.p95.toFixed(1)} ms · ratio p95 ${(page.p95 / bare.p95).toFixed(2)}×`,
    )
    if (RAW_RUNS > 0) {
      // The raw query over the same whole days: the oracle, and what the page ran before decision 094.
      const { from, to } = wholeDays('UTC', resolvePeriod(period, NOW))
      const args = { workspaceId, dripId, from, to, timeZone: 'UTC', goals: ['purchase'], attributionDays: 7 }
      const raw = await time(RAW_RUNS - 1, () => dripAnalyticsRows(db, args))
      console.log(`${label}: raw query p50 ${raw.p50.toFixed(1)} ms, p95 ${raw.p95.toFixed(1)} ms (${RAW_RUNS} runs) · roll-ups ${(raw.p50 / page.p50).toFixed(0)}× faster at p50`)
    }
  }
} finally {
  if (KEEP) process.exit(0) // closing a test database drops it
  await database.close()
}
