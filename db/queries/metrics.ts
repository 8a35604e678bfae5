import { count } from 'drizzle-orm'
import type { DbOrTx } from '../client'
import { deliveries } from '../schema'

/** Deliveries per state across the installation (what /metrics exposes; never per workspace). */
export async function countDeliveriesByState(db: DbOrTx): Promise<Array<{ state: string; count: number }>> {
  return db.select({ state: deliveries.state, count: count() }).from(deliveries).groupBy(deliveries.state)
}
