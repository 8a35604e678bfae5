import { Button, Fieldset, Group, NativeSelect, Stack, Text, TextInput } from '@mantine/core'
import { useEffect, useRef } from 'react'
import { emptyTrigger, type DripFormTrigger } from '#core/drip-form'
import { MAX_TRIGGERS } from '#domain/drip/schema'
import type { DripEditorOptions } from './drip-editor'

const KINDS: Array<{ value: DripFormTrigger['kind']; label: string }> = [
  { value: 'manual', label: 'I add them (by hand, CSV or API)' },
  { value: 'form', label: 'They confirm a signup form' },
  { value: 'event', label: 'An API event arrives (e.g. purchase)' },
  { value: 'date', label: 'Every year on a date field (e.g. birthday)' },
  { value: 'segment', label: 'They enter a segment' },
  { value: 'email_activity', label: 'They open, click, bounce, complain about or unsubscribe from an email' },
  { value: 'field_changed', label: 'A contact field changes (e.g. lifecycle stage)' },
  { value: 'sms_reply', label: 'They reply to a text (any reply, or one keyword)' },
]

const ACTIVITIES: Array<{ value: DripFormTrigger['activity']; label: string }> = [
  { value: 'opened', label: 'Opened' },
  { value: 'clicked', label: 'Clicked' },
  { value: 'bounced', label: 'Bounced (hard)' },
  { value: 'soft_bounced', label: 'Bounced (soft, temporary)' },
  { value: 'complained', label: 'Complained (marked as spam)' },
  { value: 'unsubscribed', label: 'Unsubscribed' },
]

/**
 * The drip's triggers (decision 071): one fieldset per trigger with its kind's fields, "Add a trigger"
 * and "Remove trigger N" buttons. Any trigger enrolls a contact; `manual` stands alone (with several
 * triggers it is not offered). Focus follows an added or removed trigger so the keyboard never gets lost.
 */
export function DripTriggerFields(props: { triggers: DripFormTrigger[]; options: DripEditorOptions; errors: Record<string, string>; onChange(triggers: DripFormTrigger[]): void }) {
  const { triggers, options, errors } = props
  const focusNext = useRef<string | null>(null)
  useEffect(() => {
    if (!focusNext.current) return
    document.getElementById(focusNext.current)?.focus()
    focusNext.current = null
  }, [triggers.length])
  const several = triggers.length > 1
  const hasManual = triggers.some((t) => t.kind === 'manual')
  const add = () => {
    focusNext.current = `triggers-${triggers.length}-kind`
    props.onChange([...triggers, emptyTrigger(triggers.some((t) => t.kind === 'form') ? 'event' : 'form')])
  }
  const remove = (i: number) => {
    focusNext.current = triggers.length - 1 > i ? `triggers-${i}-kind` : 'add-trigger'
    props.onChange(triggers.filter((_, j) => j !== i))
  }
  return (
    <Stack>
      <input type="hidden" name="triggerCount" value={triggers.length} />
      {errors.triggers ? (
        <Text c="red" size="sm" role="alert">
          {errors.triggers}
        </Text>
      ) : null}
      {triggers.map((t, i) => (
        <TriggerFieldset
          key={i}
          index={i}
          trigger={t}
          several={several}
          options={options}
          errors={errors}
          onChange={(next) => props.onChange(triggers.map((u, j) => (j === i ? { ...u, ...next } : u)))}
          onRemove={() => remove(i)}
        />
      ))}
      <Group>
        <Button id="add-trigger" variant="default" size="xs" onClick={add} disabled={hasManual || triggers.length >= MAX_TRIGGERS}>
          Add a trigger
        </Button>
        <Text size="sm" c="dimmed">
          {hasManual
            ? 'Choose what enrolls contacts first; then you can add more triggers.'
            : `Any trigger enrolls a contact (up to ${MAX_TRIGGERS}); the re-entry rule below decides whether a second one enrolls them again.`}
        </Text>
      </Group>
    </Stack>
  )
}

function TriggerFieldset(props: {
  index: number
  trigger: DripFormTrigger
  several: boolean
  options: DripEditorOptions
  errors: Record<string, string>
  onChange(next: Partial<DripFormTrigger>): void
  onRemove(): void
}) {
  const { index: i, trigger: t, options, errors } = props
  const n = i + 1
  const p = `triggers.${i}.`
  return (
    <Fieldset legend={`Trigger ${n}`} variant="filled">
      <Stack gap="sm">
        <Group align="flex-end" wrap="nowrap">
          <NativeSelect
            id={`triggers-${i}-kind`}
            style={{ flex: 1 }}
            label={`Trigger ${n}: enroll contacts when`}
            name={`${p}kind`}
            value={t.kind}
            onChange={(e) => props.onChange({ kind: e.currentTarget.value as DripFormTrigger['kind'] })}
            error={errors[`${p}kind`]}
            data={props.several ? KINDS.filter((k) => k.value !== 'manual' || t.kind === 'manual') : KINDS}
          />
          <Button variant="subtle" color="red" onClick={props.onRemove} disabled={!props.several} aria-label={`Remove trigger ${n}`}>
            Remove
          </Button>
        </Group>
        {t.kind === 'form' ? (
          <NativeSelect
            label={`Trigger ${n}: signup form`}
            name={`${p}formId`}
            value={t.formId}
            onChange={(e) => props.onChange({ formId: e.currentTarget.value })}
            error={errors[`${p}formId`]}
            data={[{ value: '', label: options.forms.length ? 'Choose a form' : 'No form yet: create one under Contacts → Forms' }, ...options.forms]}
          />
        ) : null}
        {t.kind === 'event' ? (
          <TextInput
            label={`Trigger ${n}: event name`}
            description="The `type` of POST /api/v1/events"
            name={`${p}event`}
            value={t.event}
            onChange={(e) => props.onChange({ event: e.currentTarget.value })}
            error={errors[`${p}event`]}
          />
        ) : null}
        {t.kind === 'date' ? (
          <Group grow align="flex-start">
            <NativeSelect
              label={`Trigger ${n}: date field`}
              name={`${p}field`}
              value={t.dateField}
              onChange={(e) => props.onChange({ dateField: e.currentTarget.value })}
              error={errors[`${p}field`]}
              data={[{ value: '', label: options.dateFields.length ? 'Choose a field' : 'No date field yet: add one under Contacts → Fields' }, ...options.dateFields]}
            />
            <TextInput
              type="time"
              label={`Trigger ${n}: at (contact's local time)`}
              name={`${p}time`}
              value={t.dateTime}
              onChange={(e) => props.onChange({ dateTime: e.currentTarget.value })}
              error={errors[`${p}time`]}
            />
          </Group>
        ) : null}
        {t.kind === 'segment' ? (
          <NativeSelect
            label={`Trigger ${n}: segment`}
            name={`${p}segmentId`}
            value={t.segmentId}
            onChange={(e) => props.onChange({ segmentId: e.currentTarget.value })}
            error={errors[`${p}segmentId`]}
            data={[{ value: '', label: options.segments.length ? 'Choose a segment' : 'No segment yet' }, ...options.segments]}
          />
        ) : null}
        {t.kind === 'email_activity' ? <ActivityFields {...props} /> : null}
        {t.kind === 'field_changed' ? <FieldChangeFields {...props} /> : null}
        {t.kind === 'sms_reply' ? (
          <TextInput
            label={`Trigger ${n}: keyword`}
            description="One word, any case (e.g. DEMO); empty: any reply. STOP, START and HELP are the carriers’ words."
            name={`${p}keyword`}
            value={t.keyword}
            onChange={(e) => props.onChange({ keyword: e.currentTarget.value })}
            error={errors[`${p}keyword`]}
          />
        ) : null}
      </Stack>
    </Fieldset>
  )
}

/** An email_activity trigger (decision 079): the activity, optionally of another drip's emails (and one of its steps), for clicks optionally one link. */
function ActivityFields(props: { index: number; trigger: DripFormTrigger; options: DripEditorOptions; errors: Record<string, string>; onChange(next: Partial<DripFormTrigger>): void }) {
  const { index: i, trigger: t, options, errors } = props
  const n = i + 1
  const p = `triggers.${i}.`
  return (
    <Group grow align="flex-start">
      <NativeSelect
        label={`Trigger ${n}: activity`}
        name={`${p}activity`}
        value={t.activity}
        onChange={(e) => props.onChange({ activity: e.currentTarget.value as DripFormTrigger['activity'] })}
        error={errors[`${p}activity`]}
        data={ACTIVITIES}
      />
      <NativeSelect
        label={`Trigger ${n}: of the emails of`}
        description="This drip’s own emails never enroll into it"
        name={`${p}dripId`}
        value={t.dripId}
        onChange={(e) => props.onChange({ dripId: e.currentTarget.value })}
        error={errors[`${p}dripId`]}
        data={[{ value: '', label: 'Any email' }, ...options.drips]}
      />
      {t.dripId ? (
        <TextInput
          type="number"
          min={1}
          label={`Trigger ${n}: step number`}
          description="Empty: any step of that drip"
          name={`${p}step`}
          value={t.step}
          onChange={(e) => props.onChange({ step: e.currentTarget.value })}
          error={errors[`${p}step`]}
        />
      ) : null}
      {t.activity === 'soft_bounced' ? (
        <TextInput
          type="number"
          min={1}
          max={20}
          label={`Trigger ${n}: at the soft bounce number`}
          description="Empty: every soft bounce; 3: when the contact’s third soft bounce comes in"
          name={`${p}times`}
          value={t.times}
          onChange={(e) => props.onChange({ times: e.currentTarget.value })}
          error={errors[`${p}times`]}
        />
      ) : null}
      {t.activity === 'clicked' ? (
        <TextInput
          type="url"
          label={`Trigger ${n}: link`}
          description="Empty: any link"
          name={`${p}url`}
          value={t.url}
          onChange={(e) => props.onChange({ url: e.currentTarget.value })}
          error={errors[`${p}url`]}
        />
      ) : null}
    </Group>
  )
}

/** A field_changed trigger (decision 096): the custom field (a lifecycle stage is one), and the value it changes to (empty: any value). */
function FieldChangeFields(props: { index: number; trigger: DripFormTrigger; options: DripEditorOptions; errors: Record<string, string>; onChange(next: Partial<DripFormTrigger>): void }) {
  const { index: i, trigger: t, options, errors } = props
  const n = i + 1
  const p = `triggers.${i}.`
  const field = options.fields.find((f) => f.value === t.dateField)
  return (
    <Group grow align="flex-start">
      <NativeSelect
        label={`Trigger ${n}: field`}
        name={`${p}field`}
        value={t.dateField}
        onChange={(e) => props.onChange({ dateField: e.currentTarget.value, toNumber: options.fields.find((f) => f.value === e.currentTarget.value)?.type === 'number' ? '1' : '' })}
        error={errors[`${p}field`]}
        data={[{ value: '', label: options.fields.length ? 'Choose a field' : 'No field yet: add one under Contacts → Fields' }, ...options.fields.map((f) => ({ value: f.value, label: f.label }))]}
      />
      <input type="hidden" name={`${p}toNumber`} value={field?.type === 'number' ? '1' : t.toNumber} />
      <TextInput
        type={field?.type === 'number' ? 'number' : field?.type === 'date' ? 'date' : 'text'}
        label={`Trigger ${n}: changes to`}
        description="Empty: any new value (a cleared field enrolls nobody)"
        name={`${p}to`}
        value={t.to}
        onChange={(e) => props.onChange({ to: e.currentTarget.value })}
        error={errors[`${p}to`]}
      />
    </Group>
  )
}
