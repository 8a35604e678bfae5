import { Alert, Anchor, Group, Text, Textarea } from '@mantine/core'
import { Link } from '@remix-run/react'
import { countSmsSegments, MAX_SMS_SEGMENTS, smsCost } from '#domain/sms/segments'
import type { DripFormStep } from '#core/drip-form'
import type { DripEditorOptions } from './drip-editor'

/**
 * An SMS step's text (decision 081) with its segment count as the user types: GSM-7 or UCS-2, how many
 * segments, and what one send costs at the workspace's price per segment. Merge fields as in emails.
 */
export function SmsStepFields(props: { index: number; step: DripFormStep; errors: Record<string, string>; options: DripEditorOptions; onChange(next: Partial<DripFormStep>): void }) {
  const { index: i, step, errors, options } = props
  const p = `steps.${i}.`
  const n = i + 1
  const count = countSmsSegments(step.text)
  const price = options.sms.pricePerSegment
  const cost = smsCost({ segments: count.segments, pricePerSegment: price })
  const money = (v: number) => new Intl.NumberFormat('en-US', { style: 'currency', currency: options.sms.currency, maximumFractionDigits: 4 }).format(v)
  const over = count.segments > MAX_SMS_SEGMENTS
  return (
    <>
      {options.sms.configured ? null : (
        <Alert color="yellow" title="SMS is not set up">
          Add your Twilio account under{' '}
          <Anchor component={Link} to="/app/settings/sms">
            Settings → SMS
          </Anchor>{' '}
          before activating a drip with SMS steps.
        </Alert>
      )}
      <Textarea
        label={`Step ${n}: text message`}
        description={`Merge fields work as in emails, e.g. {{ contact.first_name }}. Sent only to contacts with a phone number and SMS consent, outside quiet hours (21:00–08:00 in their zone unless the drip sets its own).`}
        name={`${p}text`}
        value={step.text}
        onChange={(e) => props.onChange({ text: e.currentTarget.value })}
        error={errors[`${p}text`]}
        autosize
        minRows={3}
      />
      <Group gap="lg" aria-live="polite" data-testid={`sms-count-${n}`}>
        <Text size="sm" c={over ? 'red' : undefined}>
          {`${count.segments} ${count.segments === 1 ? 'segment' : 'segments'} (${count.encoding}, ${count.units} of ${count.segments <= 1 ? count.perSegment : count.segments * count.perSegment})`}
        </Text>
        <Text size="sm">{`About ${money(cost)} per send at ${money(price)} per segment`}</Text>
      </Group>
      {/\{\{|\{%/.test(step.text) ? (
        <Text size="xs" c="dimmed">
          Counted on the text as written: merge fields change the length for each contact ({'{'} and {'}'} count as two GSM characters each).
        </Text>
      ) : null}
      {count.encoding === 'UCS-2' ? (
        <Text size="sm" c="dimmed">
          {`${count.nonGsm.map((c) => `“${c}”`).join(', ')} ${count.nonGsm.length === 1 ? 'is' : 'are'} outside the GSM alphabet: the whole text goes as UCS-2, 70 characters per segment (67 when split).`}
        </Text>
      ) : null}
    </>
  )
}
