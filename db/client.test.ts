import { sql } from 'drizzle-orm'
import { createTestDatabase } from '../test/db'
import { heartbeats } from './schema'

describe('openDatabase', () => {
  it('applies the committed migrations and round-trips a row in UTC', async () => {
    const database = await createTestDatabase()
    try {
      const at = new Date('2026-03-29T01:30:00.000Z')
      await database.db.insert(heartbeats).values({ id: 'w1', role: 'worker', beatAt: at })
      const [row] = await database.db.select().from(heartbeats)
      expect(row?.beatAt.toISOString()).toBe(at.toISOString())
      const migrations = await database.db.execute(sql`select count(*)::int as n from drizzle.__drizzle_migrations`)
      expect(Number((migrations as any).rows?.[0]?.n ?? (migrations as any)[0]?.n)).toBeGreaterThan(0)
    } finally {
      await database.close()
    }
  })
})
