import { Alert, Button, Fieldset, Group, List, Paper, Radio, Stack, Text, TextInput } from '@mantine/core'
import { Form, useNavigation } from '@remix-run/react'
import { useEffect, useRef, useState } from 'react'
import { usePreview } from '~/utils/use-preview'
import { CsrfInput } from './csrf-input'
import { ConditionFields } from './segment-condition-fields'
import { BUILT_IN_FIELDS, emptyCondition, type SegmentFormCondition, type SegmentFormValues } from '#core/segment-form'

export type SegmentEditorOptions = { customFields: Array<{ key: string; label: string }> }

export type SegmentPreviewResult = { ok: true; count: number; sample: Array<{ id: string; email: string; name: string | null; status: string }> } | { ok: false; field: string; message: string }

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
  const preview = usePreview<SegmentPreviewResult>('/app/contacts/segments/preview')
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
      if (formRef.current) submit(new FormData(formRef.current))
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
  const fields = fieldChoices(props.options)

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
        <PreviewPanel preview={preview.data} loading={preview.loading} />
        <Group>
          <Button type="submit" loading={navigation.state === 'submitting'}>
            {props.submitLabel}
          </Button>
        </Group>
      </Stack>
    </Form>
  )
}

const fieldChoices = (options: SegmentEditorOptions) => [
  ...BUILT_IN_FIELDS.map((f) => ({ value: f, label: f })),
  ...options.customFields.map((f) => ({ value: f.key, label: `${f.label} (${f.key})` })),
]

/**
 * A segment as a viewer sees it: the rule in disabled fields (nothing to add, remove or save) and who
 * matches now, counted by the page's loader (so a revalidation refreshes it).
 */
export function SegmentReadOnly(props: { values: SegmentFormValues; options: SegmentEditorOptions; preview: SegmentPreviewResult }) {
  const { values } = props
  const fields = fieldChoices(props.options)
  return (
    <Stack>
      <Fieldset disabled variant="unstyled" legend={`Contacts in this segment match ${values.match} of the conditions`}>
        <Stack>
          {values.conditions.length === 0 ? <Text c="dimmed">No conditions: with “all” every contact matches, with “any” none does.</Text> : null}
          {values.conditions.map((c, i) => (
            <ConditionFields key={i} index={i} condition={c} fields={fields} errors={{}} onChange={() => undefined} />
          ))}
        </Stack>
      </Fieldset>
      <PreviewPanel preview={props.preview} loading={false} />
    </Stack>
  )
}

function PreviewPanel(props: { preview: SegmentPreviewResult | undefined; loading: boolean }) {
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
