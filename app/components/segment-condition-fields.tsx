import { Button, Fieldset, Group, NativeSelect, Stack, TextInput, Textarea, type NativeSelectProps, type TextInputProps } from '@mantine/core'
import { ACTIVITIES, emptyCondition, FIELD_OPS, SCORE_OPS, STATUS_CHOICES, type SegmentFormCondition, type SegmentFormConditionKind } from '#core/segment-form'

const KIND_LABELS: Array<{ value: SegmentFormConditionKind; label: string }> = [
  { value: 'field', label: 'Field' },
  { value: 'tag', label: 'Tag' },
  { value: 'score', label: 'Lead score' },
  { value: 'status', label: 'Status' },
  { value: 'activity', label: 'Event or email activity' },
]

const OP_LABELS: Record<string, string> = {
  eq: 'is',
  neq: 'is not',
  contains: 'contains',
  gt: 'is greater than',
  gte: 'is at least',
  lt: 'is less than',
  lte: 'is at most',
  exists: 'is set',
  missing: 'is not set',
}

const ACTIVITY_LABELS: Record<string, string> = { event: 'API event', sent: 'was sent an email', opened: 'opened an email', clicked: 'clicked a link' }

const opChoices = (ops: readonly string[]) => ops.map((op) => ({ value: op, label: OP_LABELS[op] ?? op }))

type Key = Exclude<keyof SegmentFormCondition, 'kind'>

/**
 * One condition of the segment editor, in a fieldset: its kind, then the controls of that kind (a field
 * and a comparison, a tag, a score, a status, an activity, or a nested group as JSON). Each control posts
 * `conditions.<i>.<key>` (core/segment-form.ts), is labelled "Condition <n>: …" and shows the error of
 * that name.
 */
export function ConditionFields(props: {
  index: number
  condition: SegmentFormCondition
  fields: Array<{ value: string; label: string }>
  errors: Record<string, string>
  onChange(next: Partial<SegmentFormCondition>): void
  /** Absent in the read-only view (a viewer's), which shows no remove button. */
  onRemove?(): void
}) {
  const { index: i, condition: c, errors, onChange } = props
  const n = i + 1
  const p = `conditions.${i}.`
  // What every control of a key shares: its label, name, value, error and change.
  const bound = (key: Key, label: string) => ({
    label: `Condition ${n}: ${label}`,
    name: `${p}${key}`,
    value: c[key],
    error: errors[`${p}${key}`],
    onChange: (e: { currentTarget: { value: string } }) => onChange({ [key]: e.currentTarget.value }),
  })
  const select = (key: Key, label: string, data: NativeSelectProps['data']) => <NativeSelect {...bound(key, label)} data={data} />
  const input = (key: Key, label: string, extra: Pick<TextInputProps, 'type' | 'min'> = {}) => <TextInput {...bound(key, label)} {...extra} />
  const fields = props.fields.some((f) => f.value === c.field) ? props.fields : [...props.fields, { value: c.field, label: c.field }]
  return (
    <Fieldset legend={`Condition ${n}`}>
      <Stack gap="xs">
        <Group align="flex-start">
          {c.kind === 'group' ? (
            <input type="hidden" name={`${p}kind`} value={c.kind} />
          ) : (
            <NativeSelect
              id={`condition-${i}-kind`}
              label={`Condition ${n}: kind`}
              name={`${p}kind`}
              value={c.kind}
              data={KIND_LABELS}
              onChange={(e) => onChange({ ...emptyCondition(e.currentTarget.value as SegmentFormConditionKind), kind: e.currentTarget.value as SegmentFormConditionKind })}
              error={errors[`${p}kind`]}
            />
          )}
          {c.kind === 'field' ? (
            <>
              {select('field', 'field', fields)}
              {select('op', 'comparison', opChoices(FIELD_OPS))}
              {c.op === 'exists' || c.op === 'missing' ? null : input('value', 'value')}
            </>
          ) : null}
          {c.kind === 'tag' ? (
            <>
              {select('has', 'has or lacks', [
                { value: 'yes', label: 'has the tag' },
                { value: 'no', label: 'does not have the tag' },
              ])}
              {input('tag', 'tag')}
            </>
          ) : null}
          {c.kind === 'score' ? (
            <>
              {select('op', 'comparison', opChoices(SCORE_OPS))}
              {input('value', 'score', { type: 'number' })}
            </>
          ) : null}
          {c.kind === 'status' ? select('status', 'status is', [...STATUS_CHOICES]) : null}
          {c.kind === 'activity' ? (
            <>
              {select('negate', 'did or did not', [
                { value: 'no', label: 'did' },
                { value: 'yes', label: 'did not' },
              ])}
              {select(
                'activity',
                'activity',
                ACTIVITIES.map((a) => ({ value: a, label: ACTIVITY_LABELS[a] ?? a })),
              )}
              {c.activity === 'event' ? input('name', 'event name') : null}
              {input('withinDays', 'within the last … days (empty: ever)', { type: 'number', min: 0 })}
            </>
          ) : null}
        </Group>
        {c.kind === 'group' ? (
          <Textarea
            {...bound('json', 'nested group (JSON rule)')}
            description="A group of conditions made through the API; edit it here as JSON or remove it."
            autosize
            minRows={2}
          />
        ) : null}
        {props.onRemove ? (
          <Group>
            <Button size="xs" variant="subtle" color="red" onClick={props.onRemove}>
              {`Remove condition ${n}`}
            </Button>
          </Group>
        ) : null}
      </Stack>
    </Fieldset>
  )
}
