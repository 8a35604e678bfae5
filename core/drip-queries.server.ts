import { getDrip, type DripWithSteps } from '../db/queries/drips'
import { listEnrollments, type Enrollment } from '../db/queries/enrollments'
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
