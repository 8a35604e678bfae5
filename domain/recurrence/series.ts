/** Calendar-anchored timing: a series' occurrences as UTC instants and local wall times. */
import { formatLocal, HOUR, instantToWall, parseLocal, resolveWall } from '../timing/zone'
import { parseRule, type Rule } from './rule'
import { ruleWalls } from './rule-walls'
import { requireValid } from '../timing/input'
import { SeriesTimingSchema, type SeriesTiming } from './schema'
import { z } from 'zod'

export type Occurrence = {
  /** 1-based position in the series (occurrence k carries step k). */
  index: number
  /** UTC instant. */
  at: Date
  /** Wall time in the series zone, 'YYYY-MM-DDTHH:mm' (a time in a DST gap shows where it really lands). */
  local: string
}

/** A checked timing, ready to expand. */
export type CompiledTiming = {
  rule: Rule
  startWall: number
  timezone: string
  exdates: Set<number>
  rdates: number[]
  /** Extra wall-time bound (an evergreen series' end). */
  untilWall?: number
}

const wall = (text: string) => parseLocal(text)!

export function compileTiming(timing: SeriesTiming): CompiledTiming {
  const rule = parseRule(timing.rule)
  if (!rule.ok) throw new Error(rule.message) // unreachable after SeriesTimingSchema
  return {
    rule: rule.value,
    startWall: wall(timing.start),
    timezone: timing.timezone,
    exdates: new Set((timing.exdates ?? []).map(wall)),
    rdates: [...new Set((timing.rdates ?? []).map(wall))].sort((a, b) => a - b),
    untilWall: timing.evergreen && wall(timing.evergreen.until),
  }
}

/**
 * All occurrences in instant order: the rule's wall times merged with RDATEs, minus EXDATEs, converted
 * to instants. A wall time inside a DST gap moves forward by the gap length; if that lands on an
 * instant the rule also produces (hourly rules), the moved one is dropped, so nothing is published
 * twice. Ambiguous wall times take the earlier instant. Lazy: take what you need.
 * (One generator with the merge inlined: this loop is the hot path of a 100k expansion.)
 */
export function* occurrences(t: CompiledTiming): Generator<Occurrence> {
  const { timezone, rdates, exdates } = t
  const utcUntil = t.rule.until?.kind === 'utc' ? t.rule.until.at : undefined
  // A UTC UNTIL is checked on instants; expand a little past it in wall time.
  const wallBound = utcUntil === undefined ? t.untilWall : Math.min(utcUntil + 15 * HOUR, t.untilWall ?? Infinity)
  const rule = ruleWalls(t.rule, t.startWall, wallBound)
  const pending: number[] = [] // gap-shifted instants, ascending
  let index = 0
  let r = 0
  let next = rule.next()
  for (;;) {
    let w: number
    let fromRule = false
    if (!next.done && (r >= rdates.length || next.value <= rdates[r]!)) {
      w = next.value
      fromRule = true
      if (rdates[r] === w) r++
      next = rule.next()
    } else if (r < rdates.length) w = rdates[r++]!
    else break
    if (exdates.size && exdates.has(w)) continue
    const at = resolveWall(timezone, w)
    if (fromRule && utcUntil !== undefined && at > utcUntil) continue
    if (instantToWall(timezone, at) !== w) {
      pending.push(at)
      continue
    }
    while (pending.length && pending[0]! < at) {
      const shifted = pending.shift()!
      yield { index: ++index, at: new Date(shifted), local: formatLocal(instantToWall(timezone, shifted)) }
    }
    if (pending[0] === at) pending.shift()
    yield { index: ++index, at: new Date(at), local: formatLocal(w) }
  }
  for (const shifted of pending)
    yield { index: ++index, at: new Date(shifted), local: formatLocal(instantToWall(timezone, shifted)) }
}

export const ExpandSeriesInputSchema = z.intersection(
  SeriesTimingSchema,
  z.object({
    /** Only occurrences strictly after this instant. */
    after: z.date({ error: 'after must be a Date' }).optional(),
    limit: z
      .number({ error: 'limit must be a number' })
      .int({ error: 'limit must be a whole number' })
      .min(1, { error: 'limit must be at least 1' }),
  }),
)
export type ExpandSeriesInput = z.input<typeof ExpandSeriesInputSchema>

/** Up to `limit` occurrences (after `after`, if given). Throws TimingInputError on bad input. */
export function expandSeries(input: ExpandSeriesInput): Occurrence[] {
  const { after, limit, ...timing } = requireValid(ExpandSeriesInputSchema, input)
  const out: Occurrence[] = []
  const afterMs = after?.getTime() ?? -Infinity
  for (const o of occurrences(compileTiming(timing))) {
    if (o.at.getTime() <= afterMs) continue
    out.push(o)
    if (out.length >= limit) break
  }
  return out
}
