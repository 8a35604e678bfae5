export {
  nextDripSendAt,
  planDrip,
  firstAllowedInstant,
  SendWindowSchema,
  QuietHoursSchema,
  DripDeliveryRulesSchema,
  NextDripSendInputSchema,
  DripStepTimingSchema,
  PlanDripInputSchema,
  type SendWindow,
  type QuietHours,
  type DripDeliveryRules,
  type NextDripSendInput,
  type DripStepTiming,
  type PlanDripInput,
} from './drip'
export { parseIsoDuration, addDuration, type Duration } from './duration'
export { isValidTimeZone } from './zone'
export { TimingInputError, WEEKDAYS, type Weekday, type Issue, type ParseResult } from './input'
