/**
 * Which step of a series goes out when: steps 1..N on the timing's occurrences, after the user's
 * edits: skipped and moved occurrences, pauses, rule changes mid-series, and evergreen rounds.
 * Rules (docs/decisions/004-recurrence-engine.md):
 *  - skip occurrence k: that slot stays empty; the step planned there and all later ones take the
 *    following occurrences (no step is lost).
 *  - move occurrence k: the slot keeps its place in the order and goes out at the new local time.
 *  - pause [from, until) 'shift': occurrences inside the pause are unused; the remaining steps take the
 *    occurrences after `until` at the rule's own cadence (nothing lost, nothing bursts).
 *    'skip': the steps whose occurrences fall inside the pause are marked skipped and not published.
 *    A pause without `until` has not been resumed: nothing after `from` can be planned yet.
 *  - revision (rule change) at instant C: occurrences at or before C stay on the old timing (published
 *    steps keep their times); the remaining steps go on the new timing's occurrences after C.
 *  - evergreen: after step N, step 1 comes again at the first occurrence at least `minGap` after it,
 *    until `evergreen.until` (where the expansion ends).
 */
import { z } from 'zod'
import { addDuration, parseIsoDuration } from '../timing/duration'
import { formatLocal, instantToWall, parseLocal, wallToInstant } from '../timing/zone'
import { LocalDateTimeSchema, requireValid } from '../timing/input'
import { SeriesTimingSchema } from './schema'
import { compileTiming, occurrences } from './series'

const OccurrenceNumber = z
  .number({ error: 'occurrence must be a number' })
  .int({ error: 'occurrence must be a whole number' })
  .min(1, { error: 'occurrence must be 1 or more (occurrences count from 1)' })

export const OccurrenceOverrideSchema = z.discriminatedUnion(
  'kind',
  [
    z.object({ kind: z.literal('skip'), occurrence: OccurrenceNumber }),
    z.object({ kind: z.literal('move'), occurrence: OccurrenceNumber, to: LocalDateTimeSchema('to') }),
  ],
  { error: "override kind must be 'skip' or 'move'" },
)
export type OccurrenceOverride = z.infer<typeof OccurrenceOverrideSchema>

export const PauseSchema = z
  .object({
    from: z.date({ error: 'from must be a Date' }),
    /** When the series was (or will be) resumed; absent while still paused. */
    until: z.date({ error: 'until must be a Date' }).optional(),
    policy: z.enum(['shift', 'skip'], { error: "policy must be 'shift' or 'skip'" }),
  })
  .refine((p) => !p.until || p.until > p.from, { path: ['until'], error: 'until must be after from' })
export type Pause = z.infer<typeof PauseSchema>

export const TimingRevisionSchema = z.object({
  /** The instant the rule changed; the new timing applies to occurrences after it. */
  from: z.date({ error: 'from must be a Date' }),
  timing: SeriesTimingSchema,
  overrides: z.array(OccurrenceOverrideSchema).default([]),
})
export type TimingRevision = z.input<typeof TimingRevisionSchema>

export const PlanSeriesInputSchema = z.object({
  timing: SeriesTimingSchema,
  stepCount: z.number({ error: 'stepCount must be a number' }).int().min(1, { error: 'stepCount must be at least 1' }),
  overrides: z.array(OccurrenceOverrideSchema).default([]),
  pauses: z.array(PauseSchema).default([]),
  revisions: z.array(TimingRevisionSchema).default([]),
  /** Most rows returned (evergreen series repeat until their end date). */
  limit: z.number().int().min(1).max(10_000, { error: 'limit must be at most 10000' }).default(1000),
})
export type PlanSeriesInput = z.input<typeof PlanSeriesInputSchema>

export type PlannedStep = {
  step: number
  /** 1 for the first pass through the steps; evergreen rounds count up. */
  cycle: number
  /** 0 = the original timing, i = the i-th revision (in `from` order). */
  revision: number
  /** The occurrence of that revision's timing this step uses (1-based). */
  occurrenceIndex: number
  at: Date
  local: string
  status: 'planned' | 'skipped'
}

type Slot = { revision: number; occurrenceIndex: number; at: Date; local: string }

function* slots(revisions: Array<z.infer<typeof TimingRevisionSchema> & { fromMs: number }>): Generator<Slot> {
  for (const [r, rev] of revisions.entries()) {
    const next = revisions[r + 1]?.fromMs ?? Infinity
    const zone = rev.timing.timezone
    const skipped = new Set(rev.overrides.filter((o) => o.kind === 'skip').map((o) => o.occurrence))
    const moved = new Map(rev.overrides.flatMap((o) => (o.kind === 'move' ? [[o.occurrence, o.to] as const] : [])))
    for (const o of occurrences(compileTiming(rev.timing))) {
      const at = o.at.getTime()
      if (at <= rev.fromMs) continue
      if (at > next) break
      if (skipped.has(o.index)) continue
      const to = moved.get(o.index)
      if (to === undefined) {
        yield { revision: r, occurrenceIndex: o.index, at: o.at, local: o.local }
        continue
      }
      const movedAt = wallToInstant(zone, parseLocal(to)!).at
      yield { revision: r, occurrenceIndex: o.index, at: new Date(movedAt), local: formatLocal(instantToWall(zone, movedAt)) }
    }
  }
}

/** Throws TimingInputError on bad input. */
export function planSeries(input: PlanSeriesInput): PlannedStep[] {
  const { timing, stepCount, overrides, pauses, revisions, limit } = requireValid(PlanSeriesInputSchema, input)
  const timeline = [
    { from: new Date(0), fromMs: -Infinity, timing, overrides },
    ...revisions.map((r) => ({ ...r, fromMs: r.from.getTime() })).sort((a, b) => a.fromMs - b.fromMs),
  ]
  const out: PlannedStep[] = []
  let step = 1
  let cycle = 1
  let notBefore = -Infinity
  for (const slot of slots(timeline)) {
    const at = slot.at.getTime()
    if (at < notBefore) continue
    const pause = pauses.find((p) => at >= p.from.getTime() && (!p.until || at < p.until.getTime()))
    if (pause && !pause.until) break
    if (pause?.policy === 'shift') continue
    out.push({ step, cycle, ...slot, status: pause ? 'skipped' : 'planned' })
    if (out.length >= limit) break
    if (step < stepCount) {
      step++
      continue
    }
    const { evergreen, timezone } = timeline[slot.revision]!.timing
    if (!evergreen) break
    step = 1
    cycle++
    notBefore = addDuration({ at: slot.at, duration: parseIsoDuration(evergreen.minGap)!, timezone }).getTime()
  }
  return out
}
