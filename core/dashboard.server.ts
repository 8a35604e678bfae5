import { listProblemDeliveries, oldestOverdueDelivery } from '../db/queries/deliveries'
import { countSeriesNeedingApproval } from '../db/queries/series'
import type { Services } from './services.server'

/** What needs a person's attention in a workspace: deliveries that went wrong, series waiting for approval, an overdue post. */

export async function loadAttention(services: Services, args: { workspaceId: string; limit?: number }) {
  const db = services.database.db
  const problems = await listProblemDeliveries(db, { workspaceId: args.workspaceId, limit: args.limit ?? 20 })
  const needsApproval = await countSeriesNeedingApproval(db, { workspaceId: args.workspaceId })
  return { problems, needsApproval }
}

/** The pending delivery that has waited longest past its time (of one workspace, or of all), or null. */
export async function findOverdueDelivery(services: Services, args: { workspaceId?: string; now?: Date } = {}) {
  return oldestOverdueDelivery(services.database.db, args.now ?? services.clock.now(), args.workspaceId ? { workspaceId: args.workspaceId } : {})
}
