import { deleteSequence } from '../db/queries/deliveries'
import { listSeries, type SeriesSummary } from '../db/queries/series'
import { schedulerOf } from './series/planning.server'
import type { Services } from './services.server'

/** Series as lists show them, and deleting one (its pending deliveries and their jobs go with it). */

export type { SeriesSummary }

/** The workspace's series with their step count, delivery counts by state and next due time. */
export async function listSeriesSummaries(services: Services, args: { workspaceId: string }): Promise<SeriesSummary[]> {
  return listSeries(services.database.db, args)
}

export async function deleteSeries(services: Services, args: { workspaceId: string; seriesId: string }): Promise<{ jobsSynced: boolean }> {
  return deleteSequence(services.database.db, { workspaceId: args.workspaceId, sequenceId: args.seriesId, clock: services.clock, scheduler: schedulerOf(services) })
}
