import { getDrip, type DripWithSteps } from '../db/queries/drips'
import { countEnrollmentsBySource, listEnrollments, type Enrollment } from '../db/queries/enrollments'
import { triggerIndexOfSource, type DripTrigger } from '../domain/drip/schema'
import type { Services } from './services.server'

/** Reads of drips and their enrollments as stored (core/drips.server.ts holds the drip use cases). */

export type { DripWithSteps, Enrollment }

/** The drip and its steps as stored, or null when the workspace has no such drip. */
export async function findDripWithSteps(services: Services, args: { workspaceId: string; dripId: string }): Promise<DripWithSteps | null> {
  return getDrip(services.database.db, args)
}

export async function listDripEnrollments(services: Services, args: { workspaceId: string; dripId: string }): Promise<Enrollment[]> {
  return listEnrollments(services.database.db, args)
}

/**
 * A drip's enrollments by the trigger that made them (decision 071): one count per trigger, in order, and
 * `other` for manual, CSV and API enrollments and for triggers since removed (a `manual` trigger counts those).
 */
export async function countEnrollmentsByTrigger(services: Services, args: { workspaceId: string; dripId: string; triggers: DripTrigger[] }): Promise<{ byTrigger: number[]; other: number }> {
  const byTrigger = args.triggers.map(() => 0)
  let other = 0
  for (const { source, enrolled } of await countEnrollmentsBySource(services.database.db, args)) {
    const i = triggerIndexOfSource(args.triggers, source)
    if (i >= 0) byTrigger[i]! += enrolled
    else other += enrolled
  }
  const manual = args.triggers.findIndex((t) => t.kind === 'manual')
  if (manual >= 0) [byTrigger[manual], other] = [other, 0]
  return { byTrigger, other }
}
