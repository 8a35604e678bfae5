/** Input schema and parse function for series timings; every issue names its field and the reason. */
import { z } from 'zod'
import { IsoDurationSchema, LocalDateTimeSchema, parseWith, TimeZoneSchema, type ParseResult } from '../timing/input'
import { parseLocal } from '../timing/zone'
import { parseRule } from './rule'
import { ruleWalls } from './rule-walls'

export const EvergreenSchema = z.object(
  {
    /** The least time between the last step of one round and step 1 of the next. */
    minGap: IsoDurationSchema('evergreen.minGap'),
    /** Local date-time (series zone) after which no round starts or continues. */
    until: LocalDateTimeSchema('evergreen.until'),
  },
  { error: 'evergreen must be an object { minGap, until }' },
)

export const SeriesTimingSchema = z
  .object(
    {
      rule: z
        .string({ error: 'rule must be an RRULE string like FREQ=WEEKLY;BYDAY=TU,TH;COUNT=10' })
        .superRefine((rule, ctx) => {
          const parsed = parseRule(rule)
          if (!parsed.ok) ctx.addIssue({ code: 'custom', message: parsed.message })
        })
        .meta({
          description: 'RFC 5545 RRULE (the RRULE: prefix is optional); needs COUNT or UNTIL unless evergreen.until is set',
          examples: ['FREQ=WEEKLY;BYDAY=TU,TH;COUNT=10'],
        }),
      start: LocalDateTimeSchema('start').meta({
        description: 'First local date-time of the series in its time zone (YYYY-MM-DDTHH:mm, no offset)',
        examples: ['2026-03-20T09:00'],
      }),
      timezone: TimeZoneSchema('timezone').meta({ description: 'IANA time zone of the series', examples: ['Europe/Berlin'] }),
      exdates: z
        .array(LocalDateTimeSchema('exdates'), { error: 'exdates must be a list of local date-times' })
        .optional()
        .meta({ description: 'Local date-times the rule would produce that are left out' }),
      rdates: z
        .array(LocalDateTimeSchema('rdates'), { error: 'rdates must be a list of local date-times' })
        .optional()
        .meta({ description: 'Extra local date-times added to the series' }),
      evergreen: EvergreenSchema.optional().meta({
        description: 'Start again from step 1 after the last step, at least minGap later, until this local date-time',
      }),
    },
    { error: 'timing must be an object { rule, start, timezone }' },
  )
  .superRefine((value, ctx) => {
    const parsed = parseRule(value.rule)
    if (!parsed.ok) return
    const rule = parsed.value
    const evergreenUntil = value.evergreen && parseLocal(value.evergreen.until)
    if (rule.count === undefined && !rule.until && evergreenUntil === undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['rule'],
        message: 'rule: never ends and would expand without bound; add COUNT or UNTIL (or an evergreen end date)',
      })
    const start = parseLocal(value.start)
    if (start === undefined) return
    if (evergreenUntil !== undefined && evergreenUntil < start)
      ctx.addIssue({ code: 'custom', path: ['evergreen', 'until'], message: 'evergreen.until is before start' })
    if (ruleWalls(rule, start).next().done && !value.rdates?.length)
      ctx.addIssue({ code: 'custom', path: ['rule'], message: 'rule: produces no occurrences from start on' })
  })

export type SeriesTiming = z.infer<typeof SeriesTimingSchema>

export function parseSeriesTiming(input: unknown): ParseResult<SeriesTiming> {
  return parseWith(SeriesTimingSchema, input)
}
