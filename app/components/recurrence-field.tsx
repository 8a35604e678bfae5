import { Alert, List, NativeSelect, Stack, Text, TextInput, Title } from '@mantine/core'
import type { ReactNode } from 'react'

export const RECURRENCE_PRESETS = [
  { label: 'Every Tue/Thu at 9:00', rule: 'FREQ=WEEKLY;BYDAY=TU,TH;BYHOUR=9;BYMINUTE=0' },
  { label: 'Weekdays at 9:00', rule: 'FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR;BYHOUR=9;BYMINUTE=0' },
  { label: 'Every day at 9:00', rule: 'FREQ=DAILY;BYHOUR=9;BYMINUTE=0' },
  { label: 'Once, at the start', rule: 'FREQ=DAILY;COUNT=1' },
] as const

export type RecurrencePreview =
  | { text: string; occurrences: Array<{ post: number; round?: number; local: string; utc: string }>; rounds?: Array<{ round: number; first: string; last: string }> }
  | { error: string; field: string }

/**
 * When a series' posts go out: a preset or a custom RFC 5545 RRULE, a time zone and a start (native
 * date-time input). Shows the rule in words and the next dates as the server computes them.
 */
export function RecurrenceField(props: {
  rule: string
  start: string
  timezone: string
  timezones: string[]
  preview: RecurrencePreview | null
  errors: Record<string, string | undefined>
  onChange(next: { rule?: string; start?: string; timezone?: string }): void
  /** The evergreen control (decision 107), shown under the time zone. */
  children?: ReactNode
}) {
  const preset = RECURRENCE_PRESETS.find((p) => p.rule === props.rule)?.rule ?? ''
  const previewError = props.preview && 'error' in props.preview ? props.preview : null
  return (
    <Stack gap="sm" component="fieldset" style={{ border: 0, padding: 0, margin: 0 }}>
      <Title order={2} size="h3" component="legend">
        When
      </Title>
      <NativeSelect
        label="Repeat"
        value={preset}
        onChange={(e) => e.currentTarget.value && props.onChange({ rule: e.currentTarget.value })}
        data={[...RECURRENCE_PRESETS.map((p) => ({ value: p.rule, label: p.label })), { value: '', label: 'Custom rule…' }]}
      />
      <TextInput
        label="Rule (RRULE)"
        name="rule"
        description="RFC 5545, e.g. FREQ=WEEKLY;BYDAY=TU,TH;BYHOUR=9;BYMINUTE=0. Without COUNT or UNTIL the series ends with its last post."
        value={props.rule}
        onChange={(e) => props.onChange({ rule: e.currentTarget.value })}
        error={props.errors.rule ?? (previewError?.field === 'rule' ? previewError.error : undefined)}
        spellCheck={false}
      />
      <TextInput
        label="Start"
        name="start"
        type="datetime-local"
        value={props.start}
        onChange={(e) => props.onChange({ start: e.currentTarget.value })}
        error={props.errors.start ?? (previewError?.field === 'start' ? previewError.error : undefined)}
      />
      <NativeSelect
        label="Time zone"
        name="timezone"
        value={props.timezone}
        onChange={(e) => props.onChange({ timezone: e.currentTarget.value })}
        data={props.timezones}
        error={props.errors.timezone}
      />
      {props.children}
      <div aria-live="polite" data-testid="recurrence-preview">
        {props.preview && 'text' in props.preview ? (
          <Stack gap={4}>
            <Text fw={500}>Posts go out {props.preview.text}.</Text>
            <Text size="sm" c="dimmed">
              Next dates ({props.timezone}, with UTC):
            </Text>
            <List size="sm" aria-label="Next dates">
              {props.preview.occurrences.map((o) => (
                <List.Item key={`${o.round ?? 1}-${o.post}`}>
                  {props.preview && 'rounds' in props.preview && props.preview.rounds ? `Round ${o.round ?? 1}, post ${o.post}` : `Post ${o.post}`}: {o.local}{' '}
                  <Text span c="dimmed" size="xs">
                    ({o.utc})
                  </Text>
                </List.Item>
              ))}
            </List>
            {props.preview.rounds ? (
              <>
                <Text size="sm" fw={500}>
                  Evergreen: {props.preview.rounds.length} {props.preview.rounds.length === 1 ? 'round' : 'rounds'}
                </Text>
                <List size="sm" aria-label="Rounds">
                  {props.preview.rounds.map((r) => (
                    <List.Item key={r.round}>
                      Round {r.round}: {r.first} – {r.last}
                    </List.Item>
                  ))}
                </List>
              </>
            ) : null}
          </Stack>
        ) : previewError && previewError.field !== 'rule' && previewError.field !== 'start' && !previewError.field.startsWith('evergreen.') ? (
          <Alert color="red">{previewError.error}</Alert>
        ) : null}
      </div>
    </Stack>
  )
}
