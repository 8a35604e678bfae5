import { Alert, Group, List, NativeSelect, Paper, Stack, Text, TextInput, Title } from '@mantine/core'
import { useEffect, useState } from 'react'
import type { DripFormValues } from '#core/drip-form'
import type { TimelineFormResult } from '~/core.server'
import { formatWall, LocalTime, useClock, type ClockPreferences } from '~/components/time'
import { usePreview } from '~/utils/use-preview'

const WEEKDAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun']
const DEBOUNCE_MS = 400

/** `2026-11-03T09:00` + weekday → "Tue 2026-11-03 09:00" (or "9:00 AM" on a 12-hour clock). */
const wall = (clock: ClockPreferences, local: string, weekday?: number) => `${weekday === undefined ? '' : `${WEEKDAYS[weekday]} `}${formatWall(local, clock)}`

/**
 * The builder's timeline preview (decision 071): when each step reaches a contact who enrolls now, in a
 * chosen zone (default: the drip's) or a sample contact's. Posts the editor's unsaved timing fields to
 * /app/drips/timeline, debounced, whenever they change; the answer is read out politely.
 */
export function DripTimeline(props: { values: DripFormValues; timezones: string[] }) {
  const { values } = props
  const clock = useClock()
  // The drip's zone until the user picks another.
  const [chosenZone, setZone] = useState<string | null>(null)
  const zone = chosenZone ?? values.timezone
  const [email, setEmail] = useState('')
  const { data: result, submit } = usePreview<TimelineFormResult>('/app/drips/timeline')
  const timing = JSON.stringify([
    values.timezone,
    values.windowOn && [values.windowDays, values.windowStart, values.windowEnd],
    values.quietOn && [values.quietStart, values.quietEnd],
    values.steps.map((s) => [s.delayAmount, s.delayUnit, s.after]),
    zone,
    email.trim(),
  ])
  useEffect(() => {
    const timer = setTimeout(() => {
      const form = new FormData()
      form.set('csrf', (document.querySelector('input[name="csrf"]') as HTMLInputElement | null)?.value ?? '')
      form.set('zone', zone)
      form.set('email', email.trim())
      form.set('timezone', values.timezone)
      if (values.windowOn) {
        form.set('windowOn', 'on')
        values.windowDays.forEach((d) => form.append('window.days', d))
        form.set('window.start', values.windowStart)
        form.set('window.end', values.windowEnd)
      }
      if (values.quietOn) {
        form.set('quietOn', 'on')
        form.set('quietHours.start', values.quietStart)
        form.set('quietHours.end', values.quietEnd)
      }
      form.set('stepCount', String(values.steps.length))
      values.steps.forEach((s, i) => {
        form.set(`steps.${i}.delayAmount`, s.delayAmount)
        form.set(`steps.${i}.delayUnit`, s.delayUnit)
        form.set(`steps.${i}.after`, s.after)
      })
      submit(form)
    }, DEBOUNCE_MS)
    return () => clearTimeout(timer)
    // `timing` stands for every field the preview reads.
  }, [timing, submit])

  const timeline = result?.ok ? result.timeline : null
  const subject = timeline?.contact ? `${timeline.contact.email} (${timeline.contact.timezone ? timeline.zone : `no zone of their own: the drip's, ${timeline.zone}`})` : `A contact in ${timeline?.zone ?? zone}`
  return (
    <Paper withBorder p="md" component="section" aria-labelledby="timeline-title">
      <Stack gap="sm">
        <Title order={2} id="timeline-title">
          Timeline
        </Title>
        <Group grow align="flex-start">
          <NativeSelect label="Preview for a contact in" value={zone} onChange={(e) => setZone(e.currentTarget.value)} data={props.timezones} disabled={email.trim() !== ''} />
          <TextInput
            label="Or a sample contact (email)"
            description="Uses that contact's time zone"
            inputMode="email"
            autoComplete="off"
            value={email}
            onChange={(e) => setEmail(e.currentTarget.value)}
            error={result && !result.ok && result.field === 'email' ? result.message : undefined}
          />
        </Group>
        <div aria-live="polite" data-testid="drip-timeline">
          {result && !result.ok && result.field !== 'email' ? (
            <Alert color="yellow" title="No timeline yet">
              {result.message}
            </Alert>
          ) : timeline ? (
            <Stack gap={4}>
              <Text size="sm">
                {subject} enrolling now ({wall(clock, timeline.local)}) gets:
              </Text>
              <List size="sm" type="ordered">
                {timeline.steps.map((s) => (
                  <List.Item key={s.position}>
                    Step {s.position + 1} at <strong>{wall(clock, s.local, s.weekday)}</strong> (UTC{s.offset}) · <LocalTime at={s.at} />
                    {s.movedByWindow ? ' · moved by the send window or quiet hours' : ''}
                  </List.Item>
                ))}
              </List>
              <Text size="xs" c="dimmed">
                {timeline.assumes}
              </Text>
            </Stack>
          ) : (
            <Text size="sm" c="dimmed">
              Working out the timeline…
            </Text>
          )}
        </div>
      </Stack>
    </Paper>
  )
}
