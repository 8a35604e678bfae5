/** Public API of the sequence timing domain: series (RFC 5545, calendar-anchored) and drips
 * (enrollment-anchored offsets and send windows, re-exported from ../timing). */
export { expandSeries, occurrences, compileTiming, type Occurrence, type ExpandSeriesInput } from './series'
export { SeriesTimingSchema, EvergreenSchema, parseSeriesTiming, type SeriesTiming } from './schema'
export { describeRule } from './describe'
export {
  previewRecurrence,
  RecurrencePreviewInputSchema,
  PREVIEW_LIMIT_MAX,
  PREVIEW_LIMIT_DEFAULT,
  type RecurrencePreview,
  type RecurrencePreviewInput,
} from './preview'
export {
  planSeries,
  PlanSeriesInputSchema,
  OccurrenceOverrideSchema,
  PauseSchema,
  TimingRevisionSchema,
  type PlanSeriesInput,
  type PlannedStep,
  type OccurrenceOverride,
  type Pause,
  type TimingRevision,
} from './plan'
export * from '../timing'
