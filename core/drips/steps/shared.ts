import type { DripWithSteps } from '../../../db/queries/drips'
import { dripReaches, type DripDef, type StepDef } from '../../../domain/drip/runner'
import { receivesMarketing, type ReachFacts, type StepChannel } from '../../../domain/email/contact'

/** Small conversions the runner and its step kinds share. */

export function toDripDef(d: DripWithSteps): DripDef {
  return { id: d.drip.id, status: d.drip.status, timezone: d.drip.timezone, settings: d.drip.settings }
}

export function toStepDefs(d: DripWithSteps): StepDef[] {
  return d.steps.map((s) => {
    const a = s.content.action
    return { id: s.id, position: s.position, settings: s.settings, channel: stepChannel(s), ...(a?.type === 'wait_until' ? { wait: { until: a.until, timeout: a.timeout } } : {}) }
  })
}

/** What a stored step does: an action, a text, a piece of mail, or (the default) an email. */
export function stepChannel(s: Pick<DripWithSteps['steps'][number], 'content'>): StepChannel {
  return s.content.action ? 'action' : s.content.sms ? 'sms' : s.content.mail ? 'mail' : 'email'
}

/** The steps at `positions` as the skipped-delivery rows name them (`reasons`: why a step was skipped on purpose, by position). */
export function skippedStepRefs(d: DripWithSteps, positions: number[], reasons?: Record<number, string>): Array<{ workspaceId: string; sequenceId: string; stepId: string; reason?: string }> {
  return positions.flatMap((p) => (d.steps[p] ? [{ workspaceId: d.drip.workspaceId, sequenceId: d.drip.id, stepId: d.steps[p]!.id, ...(reasons?.[p] ? { reason: reasons[p] } : {}) }] : []))
}

/**
 * Whether manual, CSV or bulk enrollment takes this contact into a drip (decision 096): one who may be
 * emailed, or one a step of the drip can still reach (a text, a postcard or an action for an
 * email-unsubscribed or bounced contact): the runner's own rule, `dripReaches`.
 */
export function acceptsContact(steps: StepDef[], facts: ReachFacts): boolean {
  return receivesMarketing(facts) || dripReaches(steps, facts)
}
