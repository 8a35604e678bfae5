import { sql } from 'drizzle-orm'
import { markQueued } from '../../db/queries/deliveries'
import { claimDueBatch } from '../../db/queries/deliveries-publish'
import { createSequence } from '../../db/queries/sequences'
import { workspaces } from '../../db/schema'
import { createTestDatabase } from '../db'

/**
 * publag3's deadlock (40P01, decision 116): `planDeliveries` marks its deliveries `queued` after their jobs
 * exist (markQueued, one statement over the batch); when they are already due, a worker's batch claim
 * (claimDueBatch) takes other due deliveries with SKIP LOCKED and then waits for its own delivery. If the
 * marking holds the claim's own delivery and then wants one the claim took, neither can go on. Driven step by
 * step on two connections: the marking's statement is split at the row where it would wait (D, then b), so the
 * interleaving is the one that deadlocked, every run. On the PostgreSQL server of DATABASE_URL.
 */
const rowsOf = <T>(result: unknown) => ((result as { rows?: T[] }).rows ?? (result as T[]))
let database: Awaited<ReturnType<typeof createTestDatabase>>

beforeAll(async () => {
  database = await createTestDatabase()
}, 60_000)
afterAll(async () => {
  await database?.close()
})

async function waitingOnLock(): Promise<number> {
  const rows = rowsOf<{ n: number }>(
    await database.db.execute(sql`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`),
  )
  return rows[0]!.n
}

describe.runIf(!!process.env.DATABASE_URL || process.env.CI === 'true')('planning and a batch claim of due deliveries', () => {
  it('do not deadlock when the marking holds the claim’s own delivery and the claim holds one of the marking’s', async () => {
    const db = database.db
    const clock = { now: () => new Date() }
    const workspaceId = (await db.insert(workspaces).values({ name: 'Deadlock' }).returning())[0]!.id
    const { sequence, steps } = await createSequence(db, {
      workspaceId,
      kind: 'series',
      name: 'Due at once',
      steps: [{ parts: [{ text: 'one' }] }, { parts: [{ text: 'two' }] }],
      clock,
    })
    await db.execute(sql`INSERT INTO accounts (id, workspace_id, kind, remote_account_id, handle, credentials_ciphertext, credentials_key_version)
      VALUES (md5('dl-x')::uuid, ${workspaceId}, 'x', 'x-1', 'brand', 'none', 1)`)
    // Both planned and already due. b is written first, so a scan of the table meets it before D.
    const due = new Date(Date.now() - 1_000)
    const insert = async (stepId: string) =>
      rowsOf<{ id: string }>(
        await db.execute(sql`INSERT INTO deliveries (workspace_id, sequence_id, step_id, account_id, due_at, next_attempt_at, state)
          VALUES (${workspaceId}, ${sequence.id}, ${stepId}, md5('dl-x')::uuid, ${due.toISOString()}::timestamptz, ${due.toISOString()}::timestamptz, 'planned') RETURNING id`),
      )[0]!.id
    const b = await insert(steps[1]!.id)
    const d = await insert(steps[0]!.id)

    let claim: ReturnType<typeof claimDueBatch> | undefined
    const marking = db.transaction(async (tx) => {
      // The marking's statement reaches D first: D is now held by the planner's transaction.
      await markQueued(tx, { workspaceId, deliveryIds: [d], clock })
      // The worker's job for D runs: its batch claim takes b (SKIP LOCKED: free) and waits for D.
      claim = claimDueBatch(db, { workspaceId, deliveryId: d, now: new Date(), leaseMs: 60_000, limit: 5 })
      claim.catch(() => undefined)
      for (let i = 0; (await waitingOnLock()) === 0; i++) {
        if (i > 200) throw new Error('the claim never waited for D')
        await new Promise((resolve) => setTimeout(resolve, 10))
      }
      // The marking's statement goes on to b, which the claim holds.
      await markQueued(tx, { workspaceId, deliveryIds: [b], clock })
    })
    await marking
    const claims = await claim!
    expect(claims.map((c) => c.delivery.id).sort()).toEqual([b, d].sort())
    const states = rowsOf<{ id: string; state: string }>(await db.execute(sql`SELECT id, state FROM deliveries WHERE workspace_id = ${workspaceId}`))
    expect(states.map((r) => r.state)).toEqual(['publishing', 'publishing'])
  })
})
