import { Alert, Button, Fieldset, Group, List, NativeSelect, Paper, Radio, Stack, Text, TextInput, Textarea } from '@mantine/core'
import { Form, useFetcher, useNavigation } from '@remix-run/react'
import { useEffect, useRef, useState } from 'react'
import { CsrfInput } from './csrf-input'
import { ACTIVITIES, BUILT_IN_FIELDS, emptyCondition, FIELD_OPS, SCORE_OPS, STATUS_CHOICES, type SegmentFormCondition, type SegmentFormConditionKind, type SegmentFormValues } from '#core/segment-form'

export type SegmentEditorOptions = { customFields: Array<{ key: string; label: string }> }

type Preview = { ok: true; count: number; sample: Array<{ id: string; email: string; name: string | null; status: string }> } | { ok: false; field: string; message: string }

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

export const PREVIEW_ACTION = '/app/contacts/segments/preview'
const PREVIEW_DELAY_MS = 400

/**
 * The segment editor: name, match all/any, a list of conditions (fields, tags, score, status, events and
 * email activity; a nested group made through the API is kept as JSON), and a live count with a sample
 * of matching contacts fetched as the rule changes. Posts flat fields (core/segment-form.ts); `errors`
 * are keyed by those field names.
 */
export function SegmentEditor(props: { initial: SegmentFormValues; options: SegmentEditorOptions; errors: Record<string, string>; submitLabel: string }) {
  const [values, setValues] = useState(props.initial)
  const navigation = useNavigation()
  const preview = useFetcher<Preview>()
  const formRef = useRef<HTMLFormElement>(null)
  const addRef = useRef<HTMLButtonElement>(null)
  const [focusCondition, setFocusCondition] = useState<number | null>(null)
  const { errors } = props
  const set = (next: Partial<SegmentFormValues>) => setValues((v) => ({ ...v, ...next }))
  const setCondition = (i: number, next: Partial<SegmentFormCondition>) => set({ conditions: values.conditions.map((c, j) => (j === i ? { ...c, ...next } : c)) })

  const ruleKey = JSON.stringify([values.match, values.conditions])
  const { submit } = preview
  useEffect(() => {
    const timer = setTimeout(() => {
      if (formRef.current) submit(formRef.current, { method: 'post', action: PREVIEW_ACTION })
    }, PREVIEW_DELAY_MS)
    return () => clearTimeout(timer)
  }, [ruleKey, submit])

  useEffect(() => {
    if (focusCondition === null) return
    document.getElementById(`condition-${focusCondition}-kind`)?.focus()
    setFocusCondition(null)
  }, [focusCondition])

  const add = () => {
    set({ conditions: [...values.conditions, emptyCondition('tag')] })
    setFocusCondition(values.conditions.length)
  }
  const remove = (i: number) => {
    set({ conditions: values.conditions.filter((_, j) => j !== i) })
    addRef.current?.focus()
  }
  const fields = [...BUILT_IN_FIELDS.map((f) => ({ value: f, label: f })), ...props.options.customFields.map((f) => ({ value: f.key, label: `${f.label} (${f.key})` }))]

  return (
    <Form method="post" ref={formRef} noValidate>
      <CsrfInput />
      <input type="hidden" name="intent" value="save" />
      <input type="hidden" name="conditionCount" value={values.conditions.length} />
      <Stack>
        {errors.form ? (
          <Alert color="red" role="alert">
            {errors.form}
          </Alert>
        ) : null}
        <TextInput label="Name" name="name" required value={values.name} onChange={(e) => set({ name: e.currentTarget.value })} error={errors.name} maw={480} />
        <Radio.Group label="Contacts in this segment match" name="match" value={values.match} onChange={(v) => set({ match: v === 'any' ? 'any' : 'all' })} error={errors.match}>
          <Group mt="xs">
            <Radio value="all" label="all of the conditions" />
            <Radio value="any" label="any of the conditions" />
          </Group>
        </Radio.Group>
        {errors.conditions ? (
          <Text c="red" role="alert">
            {errors.conditions}
          </Text>
        ) : null}
        {values.conditions.length === 0 ? <Text c="dimmed">No conditions: with “all” every contact matches, with “any” none does.</Text> : null}
        {values.conditions.map((c, i) => (
          <ConditionFields key={i} index={i} condition={c} fields={fields} errors={errors} onChange={(next) => setCondition(i, next)} onRemove={() => remove(i)} />
        ))}
        <Group>
          <Button ref={addRef} variant="default" onClick={add} disabled={values.conditions.length >= 50}>
            Add condition
          </Button>
        </Group>
        <PreviewPanel preview={preview.data} loading={preview.state !== 'idle'} />
        <Group>
          <Button type="submit" loading={navigation.state === 'submitting' && navigation.formAction !== PREVIEW_ACTION}>
            {props.submitLabel}
          </Button>
        </Group>
      </Stack>
    </Form>
  )
}

function ConditionFields(props: {
  index: number
  condition: SegmentFormCondition
  fields: Array<{ value: string; label: string }>
  errors: Record<string, string>
  onChange(next: Partial<SegmentFormCondition>): void
  onRemove(): void
}) {
  const { index: i, condition: c, errors, onChange } = props
  const n = i + 1
  const p = `conditions.${i}.`
  const err = (key: string) => errors[`${p}${key}`]
  const fields = props.fields.some((f) => f.value === c.field) ? props.fields : [...props.fields, { value: c.field, label: c.field }]
  const hidden = (key: keyof SegmentFormCondition) => <input type="hidden" name={`${p}${key}`} value={c[key]} />
  return (
    <Fieldset legend={`Condition ${n}`}>
      <Stack gap="xs">
        <Group align="flex-start">
          {c.kind === 'group' ? (
            hidden('kind')
          ) : (
            <NativeSelect
              id={`condition-${i}-kind`}
              label={`Condition ${n}: kind`}
              name={`${p}kind`}
              value={c.kind}
              data={KIND_LABELS}
              onChange={(e) => onChange({ ...emptyCondition(e.currentTarget.value as SegmentFormConditionKind), kind: e.currentTarget.value as SegmentFormConditionKind })}
              error={err('kind')}
            />
          )}
          {c.kind === 'field' ? (
            <>
              <NativeSelect label={`Condition ${n}: field`} name={`${p}field`} value={c.field} data={fields} onChange={(e) => onChange({ field: e.currentTarget.value })} error={err('field')} />
              <NativeSelect
                label={`Condition ${n}: comparison`}
                name={`${p}op`}
                value={c.op}
                data={FIELD_OPS.map((op) => ({ value: op, label: OP_LABELS[op] ?? op }))}
                onChange={(e) => onChange({ op: e.currentTarget.value })}
                error={err('op')}
              />
              {c.op === 'exists' || c.op === 'missing' ? null : (
                <TextInput label={`Condition ${n}: value`} name={`${p}value`} value={c.value} onChange={(e) => onChange({ value: e.currentTarget.value })} error={err('value')} />
              )}
            </>
          ) : null}
          {c.kind === 'tag' ? (
            <>
              <NativeSelect
                label={`Condition ${n}: has or lacks`}
                name={`${p}has`}
                value={c.has}
                data={[
                  { value: 'yes', label: 'has the tag' },
                  { value: 'no', label: 'does not have the tag' },
                ]}
                onChange={(e) => onChange({ has: e.currentTarget.value === 'no' ? 'no' : 'yes' })}
                error={err('has')}
              />
              <TextInput label={`Condition ${n}: tag`} name={`${p}tag`} value={c.tag} onChange={(e) => onChange({ tag: e.currentTarget.value })} error={err('tag')} />
            </>
          ) : null}
          {c.kind === 'score' ? (
            <>
              <NativeSelect
                label={`Condition ${n}: comparison`}
                name={`${p}op`}
                value={c.op}
                data={SCORE_OPS.map((op) => ({ value: op, label: OP_LABELS[op] ?? op }))}
                onChange={(e) => onChange({ op: e.currentTarget.value })}
                error={err('op')}
              />
              <TextInput type="number" label={`Condition ${n}: score`} name={`${p}value`} value={c.value} onChange={(e) => onChange({ value: e.currentTarget.value })} error={err('value')} />
            </>
          ) : null}
          {c.kind === 'status' ? (
            <NativeSelect label={`Condition ${n}: status is`} name={`${p}status`} value={c.status} data={[...STATUS_CHOICES]} onChange={(e) => onChange({ status: e.currentTarget.value })} error={err('status')} />
          ) : null}
          {c.kind === 'activity' ? (
            <>
              <NativeSelect
                label={`Condition ${n}: did or did not`}
                name={`${p}negate`}
                value={c.negate}
                data={[
                  { value: 'no', label: 'did' },
                  { value: 'yes', label: 'did not' },
                ]}
                onChange={(e) => onChange({ negate: e.currentTarget.value === 'yes' ? 'yes' : 'no' })}
                error={err('negate')}
              />
              <NativeSelect
                label={`Condition ${n}: activity`}
                name={`${p}activity`}
                value={c.activity}
                data={ACTIVITIES.map((a) => ({ value: a, label: ACTIVITY_LABELS[a] ?? a }))}
                onChange={(e) => onChange({ activity: e.currentTarget.value })}
                error={err('activity')}
              />
              {c.activity === 'event' ? (
                <TextInput label={`Condition ${n}: event name`} name={`${p}name`} value={c.name} onChange={(e) => onChange({ name: e.currentTarget.value })} error={err('name')} />
              ) : null}
              <TextInput
                type="number"
                min={0}
                label={`Condition ${n}: within the last … days (empty: ever)`}
                name={`${p}withinDays`}
                value={c.withinDays}
                onChange={(e) => onChange({ withinDays: e.currentTarget.value })}
                error={err('withinDays')}
              />
            </>
          ) : null}
        </Group>
        {c.kind === 'group' ? (
          <Textarea
            label={`Condition ${n}: nested group (JSON rule)`}
            description="A group of conditions made through the API; edit it here as JSON or remove it."
            name={`${p}json`}
            value={c.json}
            autosize
            minRows={2}
            onChange={(e) => onChange({ json: e.currentTarget.value })}
            error={err('json')}
          />
        ) : null}
        <Group>
          <Button size="xs" variant="subtle" color="red" onClick={props.onRemove}>
            {`Remove condition ${n}`}
          </Button>
        </Group>
      </Stack>
    </Fieldset>
  )
}

function PreviewPanel(props: { preview: Preview | undefined; loading: boolean }) {
  const { preview } = props
  return (
    <Paper withBorder p="md" component="section" aria-labelledby="segment-preview-title">
      <Text fw={600} id="segment-preview-title">
        Who matches now
      </Text>
      <div aria-live="polite" aria-busy={props.loading}>
        {!preview ? (
          <Text c="dimmed">Counting…</Text>
        ) : preview.ok ? (
          <>
            <Text>
              {`Matches ${preview.count} ${preview.count === 1 ? 'contact' : 'contacts'}`}
              {preview.sample.length > 0 ? `: ${preview.sample.map((s) => s.email).join(', ')}${preview.count > preview.sample.length ? ', …' : ''}` : '.'}
            </Text>
            {preview.sample.length > 0 ? (
              <List size="sm" mt="xs" aria-label="Sample of matching contacts">
                {preview.sample.map((s) => (
                  <List.Item key={s.id}>
                    {s.email}
                    {s.name ? ` (${s.name})` : ''} · {s.status}
                  </List.Item>
                ))}
              </List>
            ) : null}
          </>
        ) : (
          <Text c="red">{`Cannot count yet: ${preview.message}`}</Text>
        )}
      </div>
    </Paper>
  )
}
