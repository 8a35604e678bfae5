import { Group, NativeSelect, Stack, Textarea, TextInput } from '@mantine/core'
import type { DripFormStep } from '#core/drip-form'
import type { ActionType } from '#core/drip-form-actions'
import type { DripEditorOptions } from './drip-editor'

const ACTION_LABELS: Array<{ value: ActionType; label: string }> = [
  { value: 'add_tag', label: 'Add a tag' },
  { value: 'remove_tag', label: 'Remove a tag' },
  { value: 'set_field', label: 'Set or change a contact field' },
  { value: 'score', label: 'Change the lead score' },
  { value: 'enroll', label: 'Enroll into another drip' },
  { value: 'unenroll', label: 'Remove from another drip' },
  { value: 'webhook', label: 'Call a webhook' },
  { value: 'wait_until', label: 'Wait until something happens (or a timeout)' },
  { value: 'notify', label: 'Notify a teammate by email' },
]

const WAIT_LABELS = [
  { value: 'event', label: 'An API event (e.g. purchase)' },
  { value: 'clicked', label: 'They click an email of this drip' },
  { value: 'opened', label: 'They open an email of this drip' },
  { value: 'date', label: 'The date in a date field' },
]

/**
 * An action step's fields (decision 079): what it does and that action's controls, each a native
 * control (keyboard and mouse) with its error underneath. Posts the flat `steps.N.action…` fields of
 * core/drip-form-actions.ts.
 */
export function ActionStepFields(props: { index: number; step: DripFormStep; errors: Record<string, string>; options: DripEditorOptions; onChange(next: Partial<DripFormStep>): void }) {
  const { index: i, step, errors, options } = props
  const p = `steps.${i}.`
  const n = i + 1
  const field = options.fields.find((f) => f.value === step.actionField)
  const numeric = step.actionOp !== 'set' || step.actionValueType === 'number'
  const text = (name: keyof DripFormStep, label: string, extra: { type?: string; description?: string; inputMode?: 'numeric' | 'url' } = {}) => (
    <TextInput
      {...extra}
      label={`Step ${n}: ${label}`}
      name={`${p}${name}`}
      value={step[name]}
      onChange={(e) => props.onChange({ [name]: e.currentTarget.value })}
      error={errors[`${p}${name}`]}
    />
  )
  const dripSelect = (label: string) => (
    <NativeSelect
      label={`Step ${n}: ${label}`}
      name={`${p}actionDripId`}
      value={step.actionDripId}
      onChange={(e) => props.onChange({ actionDripId: e.currentTarget.value })}
      error={errors[`${p}actionDripId`]}
      data={[{ value: '', label: options.drips.length ? 'Choose a drip' : 'No other drip yet' }, ...options.drips]}
    />
  )
  return (
    <Stack>
      <NativeSelect
        label={`Step ${n}: action`}
        name={`${p}actionType`}
        value={step.actionType}
        onChange={(e) => props.onChange({ actionType: e.currentTarget.value as ActionType })}
        error={errors[`${p}actionType`]}
        data={ACTION_LABELS}
      />
      {step.actionType === 'set_field' ? (
        <Group grow align="flex-start">
          <input type="hidden" name={`${p}actionValueType`} value={step.actionValueType} />
          <NativeSelect
            label={`Step ${n}: field`}
            name={`${p}actionField`}
            value={step.actionField}
            onChange={(e) => {
              const key = e.currentTarget.value
              const type = options.fields.find((f) => f.value === key)?.type
              props.onChange({ actionField: key, actionValueType: type === 'number' ? 'number' : 'string', ...(type === 'number' ? {} : { actionOp: 'set' }) })
            }}
            error={errors[`${p}actionField`]}
            data={[
              { value: '', label: options.fields.length ? 'Choose a field' : 'No field yet: add one under Contacts → Fields' },
              ...options.fields.map((f) => ({ value: f.value, label: `${f.label} (${f.type})` })),
              // A field deleted since the step was saved: still shown, so the error under it makes sense.
              ...(step.actionField && !field ? [{ value: step.actionField, label: `${step.actionField} (no such field)` }] : []),
            ]}
          />
          <NativeSelect
            label={`Step ${n}: change`}
            name={`${p}actionOp`}
            value={step.actionOp}
            onChange={(e) => props.onChange({ actionOp: e.currentTarget.value as DripFormStep['actionOp'] })}
            error={errors[`${p}actionOp`]}
            data={[
              { value: 'set', label: 'Set to' },
              { value: 'increment', label: 'Increase by', disabled: !!field && field.type !== 'number' },
              { value: 'decrement', label: 'Decrease by', disabled: !!field && field.type !== 'number' },
            ]}
          />
          {text('actionValue', 'value', numeric ? { inputMode: 'numeric' } : field?.type === 'date' ? { description: 'YYYY-MM-DD' } : {})}
        </Group>
      ) : null}
      {step.actionType === 'add_tag' || step.actionType === 'remove_tag' ? text('actionTag', 'tag') : null}
      {step.actionType === 'score' ? text('actionPoints', 'points', { type: 'number', description: 'Positive adds to the lead score, negative takes away (e.g. -5)' }) : null}
      {step.actionType === 'enroll' ? dripSelect('enroll into drip') : null}
      {step.actionType === 'unenroll' ? dripSelect('remove from drip') : null}
      {step.actionType === 'webhook'
        ? text('actionUrl', 'webhook URL', {
            type: 'url',
            inputMode: 'url',
            description: 'POSTs the contact, drip and step as JSON, signed in X-Trickle-Signature with this drip’s secret, with an Idempotency-Key header; retried on 5xx and timeouts',
          })
        : null}
      {step.actionType === 'wait_until' ? (
        <Group grow align="flex-start">
          <NativeSelect
            label={`Step ${n}: wait until`}
            name={`${p}actionWaitKind`}
            value={step.actionWaitKind}
            onChange={(e) => props.onChange({ actionWaitKind: e.currentTarget.value as DripFormStep['actionWaitKind'] })}
            error={errors[`${p}actionWaitKind`]}
            data={WAIT_LABELS}
          />
          {step.actionWaitKind === 'event' ? text('actionEvent', 'event name', { description: 'The `type` of POST /api/v1/events' }) : null}
          {step.actionWaitKind === 'clicked' || step.actionWaitKind === 'opened' ? text('actionStep', 'of step number', { type: 'number', description: 'Empty: any email of this drip' }) : null}
          {step.actionWaitKind === 'date' ? (
            <NativeSelect
              label={`Step ${n}: date field`}
              name={`${p}actionDateField`}
              value={step.actionDateField}
              onChange={(e) => props.onChange({ actionDateField: e.currentTarget.value })}
              error={errors[`${p}actionDateField`]}
              data={[{ value: '', label: options.dateFields.length ? 'Choose a field' : 'No date field yet: add one under Contacts → Fields' }, ...options.dateFields]}
            />
          ) : null}
          {step.actionWaitKind === 'date' ? text('actionTime', 'at (contact’s local time)', { type: 'time' }) : null}
          {text('actionTimeoutAmount', 'at most', { type: 'number', description: 'Then the drip goes on anyway (recorded as timed out)' })}
          <NativeSelect
            label={`Step ${n}: unit`}
            name={`${p}actionTimeoutUnit`}
            value={step.actionTimeoutUnit}
            onChange={(e) => props.onChange({ actionTimeoutUnit: e.currentTarget.value as DripFormStep['actionTimeoutUnit'] })}
            data={[
              { value: 'hours', label: 'hours' },
              { value: 'days', label: 'days' },
              { value: 'weeks', label: 'weeks' },
            ]}
          />
        </Group>
      ) : null}
      {step.actionType === 'notify' ? (
        <Stack>
          <NativeSelect
            label={`Step ${n}: teammate`}
            name={`${p}actionUserId`}
            value={step.actionUserId}
            onChange={(e) => props.onChange({ actionUserId: e.currentTarget.value })}
            error={errors[`${p}actionUserId`]}
            data={[{ value: '', label: 'Choose a member of the workspace' }, ...options.members]}
          />
          {text('actionSubject', 'subject', { description: 'Merge fields work here, e.g. {{ contact.email }}' })}
          <Textarea
            label={`Step ${n}: message`}
            description="Sent through the workspace’s email sender; merge fields such as {{ contact.first_name }} are filled in"
            autosize
            minRows={3}
            name={`${p}actionText`}
            value={step.actionText}
            onChange={(e) => props.onChange({ actionText: e.currentTarget.value })}
            error={errors[`${p}actionText`]}
          />
        </Stack>
      ) : null}
    </Stack>
  )
}
