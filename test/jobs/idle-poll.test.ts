import { scheduleUniqueJob } from '../../jobs/enqueue'
import { openJobStore } from '../../jobs/store'
import { createTestDatabase } from '../db'

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

// Decision 109: an idle worker's poll on the PostgreSQL store sleeps until the earliest job it knows of,
// and a job saved anywhere (here by a process that never started Agenda, as the web process) ends the sleep.
describe.runIf(!!process.env.DATABASE_URL)('idle poll (PostgreSQL job store)', () => {
  it('runs no statement while nothing is due, and runs a job another process saves at its time', async () => {
    const database = await createTestDatabase({ migrate: false })
    const url = database.url!
    const worker = await openJobStore({ databaseUrl: url, name: 'worker', agenda: { processEvery: 100 } })
    const web = await openJobStore({ databaseUrl: url, name: 'web' })
    try {
      const runs: Array<{ key: string; at: number }> = []
      worker.agenda.define<{ key: string }>('idle-poll', async (job) => void runs.push({ key: job.attrs.data.key, at: Date.now() }))
      await scheduleUniqueJob(web.agenda, { name: 'idle-poll', key: 'in-an-hour', runAt: new Date(Date.now() + 3_600_000) })
      // The worker's own pool: what it sends to the server (Agenda's poll included).
      const pool = (worker.agenda as unknown as { db: { getPool(): { query: (...args: unknown[]) => Promise<unknown> } } }).db.getPool()
      let queries = 0
      const query = pool.query.bind(pool)
      pool.query = (...args: unknown[]) => {
        queries++
        return query(...args)
      }
      await worker.start()
      await sleep(400)
      const afterFirstPoll = queries
      await sleep(1_000)
      // Ten polls of processEvery before decision 109, one statement each.
      expect(queries - afterFirstPoll).toBe(0)

      const dueAt = Date.now() + 500
      await scheduleUniqueJob(web.agenda, { name: 'idle-poll', key: 'soon', runAt: new Date(dueAt) })
      for (let waited = 0; runs.length === 0 && waited < 5_000; waited += 50) await sleep(50)
      expect(runs.map((r) => r.key)).toEqual(['soon'])
      // At its time, not at the end of a sleep (up to a minute).
      expect(runs[0]!.at).toBeGreaterThanOrEqual(dueAt - 50)
      expect(runs[0]!.at).toBeLessThan(dueAt + 3_000)
    } finally {
      await worker.close({ drainMs: 0 })
      await web.close({ drainMs: 0 })
      await database.close()
    }
  })
})
