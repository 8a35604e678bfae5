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
  it('do not deadlock: a claim skips its own delivery while the marking holds it, and is claimed alone after', async () => {
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

    const claimOf = (deliveryId: string) => claimDueBatch(db, { workspaceId, deliveryId, now: new Date(), leaseMs: 60_000, limit: 5 })
    let claimDone = false
    const firstClaims = await db.transaction(async (tx) => {
      // The marking's statement reaches D first: D is now held by the planner's transaction.
      await markQueued(tx, { workspaceId, deliveryIds: [d], clock })
      // The worker's job for D runs: its batch claim takes b (SKIP LOCKED: free) and skips D (held) instead of
      // waiting for it while holding b (decision 120). Before, it waited here, and the marking's next statement
      // (b) then waited for the claim: a deadlock.
      const claim = claimOf(d).finally(() => (claimDone = true))
      for (let i = 0; !claimDone && i < 100; i++) {
        if ((await waitingOnLock()) > 0) throw new Error('the claim waits for a row another transaction holds')
        await new Promise((resolve) => setTimeout(resolve, 10))
      }
      const claims = await claim
      // The marking goes on to b, now claimed: it skips it too (decision 116).
      await markQueued(tx, { workspaceId, deliveryIds: [b], clock })
      return claims
    })
    expect(firstClaims.map((c) => c.delivery.id)).toEqual([b])
    // The job then decides on D alone (decideAndClaim), holding nothing else; here its claim again, D now free.
    expect((await claimOf(d)).map((c) => c.delivery.id)).toEqual([d])
    const states = rowsOf<{ id: string; state: string }>(await db.execute(sql`SELECT id, state FROM deliveries WHERE workspace_id = ${workspaceId}`))
    expect(states.map((r) => r.state)).toEqual(['publishing', 'publishing'])
  })
})
