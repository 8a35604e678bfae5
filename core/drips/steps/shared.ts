import type { DripWithSteps } from '../../../db/queries/drips'
import type { DripDef, StepDef } from '../../../domain/drip/runner'

/** Small conversions the runner and its step kinds share. */

export function toDripDef(d: DripWithSteps): DripDef {
  return { id: d.drip.id, status: d.drip.status, timezone: d.drip.timezone, settings: d.drip.settings }
}

export function toStepDefs(d: DripWithSteps): StepDef[] {
  return d.steps.map((s) => ({ id: s.id, position: s.position, settings: s.settings }))
}

/** The steps at `positions` as the skipped-delivery rows name them (`reason` for a step skipped on purpose). */
export function skippedStepRefs(d: DripWithSteps, positions: number[]): Array<{ workspaceId: string; sequenceId: string; stepId: string }> {
  return positions.flatMap((p) => (d.steps[p] ? [{ workspaceId: d.drip.workspaceId, sequenceId: d.drip.id, stepId: d.steps[p]!.id }] : []))
}
