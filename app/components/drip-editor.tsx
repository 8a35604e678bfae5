import { Alert, Badge, Button, Checkbox, Fieldset, Group, List, NativeSelect, Paper, Radio, Stack, Text, Textarea, TextInput, Title } from '@mantine/core'
import { Form, useNavigation } from '@remix-run/react'
import { useEffect, useMemo, useState, type FormEvent } from 'react'
import { CsrfInput } from './csrf-input'
import { ActionStepFields } from './drip-step-action'
import { SmsStepFields } from './drip-step-sms'
import { MailStepFields } from './drip-step-mail'
import type { MailPrices } from '#domain/mail/address'
import { DripTimeline } from './drip-timeline'
import { DripTriggerFields } from './drip-triggers'
import { StepPreview, useStepPreview } from './step-preview'
import { EMAIL_CONDITION_CHOICES, emptyStep, STEP_CONDITION_CHOICES, WEEKDAY_CHOICES, type DripFormStep, type DripFormValues } from '#core/drip-form'

export type DripEditorOptions = {
  timezones: string[]
  forms: Array<{ value: string; label: string }>
  segments: Array<{ value: string; label: string }>
  dateFields: Array<{ value: string; label: string }>
  /** Every contact field with its type (set-field actions). */
  fields: Array<{ value: string; label: string; type: string }>
  /** The workspace's other drips (enroll / remove actions, email-activity triggers). */
  drips: Array<{ value: string; label: string }>
  /** The workspace's members by user id (notify steps). */
  members: Array<{ value: string; label: string }>
  /** `contact.first_name`, …, `contact.fields.<key>`: what a step's template may use. */
  mergeFields: string[]
  /** SMS steps (decision 081): whether Twilio is set up, and the price per segment the editor shows a cost with. */
  sms: { configured: boolean; pricePerSegment: number; currency: string }
  /** Direct-mail steps (decision 089): whether Lob is set up, and the prices the editor estimates a piece with. */
  mail: { configured: boolean; prices: MailPrices; currency: string }
}

const WEEKDAY_LABELS: Record<string, string> = { MO: 'Mon', TU: 'Tue', WE: 'Wed', TH: 'Thu', FR: 'Fri', SA: 'Sat', SU: 'Sun' }

const CONDITION_LABELS: Array<{ value: DripFormStep['condition']; label: string }> = [
  { value: 'none', label: 'Always send' },
  { value: 'opened', label: 'Only if an earlier email was opened' },
  { value: 'not-opened', label: 'Only if an earlier email was not opened' },
  { value: 'clicked', label: 'Only if an earlier email was clicked' },
  { value: 'not-clicked', label: 'Only if an earlier email was not clicked' },
  { value: 'bounced', label: 'Only if the contact’s email hard-bounced' },
  { value: 'not-bounced', label: 'Only if the contact’s email did not hard-bounce' },
  { value: 'complained', label: 'Only if the contact complained (spam)' },
  { value: 'not-complained', label: 'Only if the contact did not complain (spam)' },
  { value: 'unsubscribed', label: 'Only if the contact unsubscribed from email' },
  { value: 'not-unsubscribed', label: 'Only if the contact did not unsubscribe from email' },
  { value: 'event', label: 'Only if an event happened' },
  { value: 'no-event', label: 'Only if an event did not happen' },
  { value: 'segment', label: 'Only if the contact is in a segment' },
  { value: 'not-segment', label: 'Only if the contact is not in a segment' },
]

/**
 * The drip builder: trigger, re-entry, goals, send window, and the steps (delay, condition, subject,
 * Markdown body with merge fields) with a live preview. Posts flat fields (app/utils/drip-form.ts);
 * `errors` are keyed by those field names.
 */
/** `waiting` (an active drip's page): by step id, the contacts whose next step it is, shown on each step. */
export function DripEditor(props: { initial: DripFormValues; options: DripEditorOptions; errors: Record<string, string>; submitLabel: string; waiting?: Record<string, number> | null }) {
  const [values, setValues] = useState(props.initial)
  const [sampleContact, setSampleContact] = useState('')
  const [sampleContactError, setSampleContactError] = useState<string | undefined>()
  const navigation = useNavigation()
  const { options } = props
  // A field's error goes away as soon as the field is edited; the next save's answer brings any new ones.
  const [edited, setEdited] = useState<ReadonlySet<string>>(new Set())
  useEffect(() => setEdited((s) => (s.size ? new Set() : s)), [props.errors])
  const errors = useMemo(() => Object.fromEntries(Object.entries(props.errors).filter(([field]) => !edited.has(field))), [props.errors, edited])
  const noteEdit = (e: FormEvent<HTMLFormElement>) => {
    const name = (e.target as HTMLInputElement).name
    if (name && name in props.errors && !edited.has(name)) setEdited(new Set(edited).add(name))
  }
  const set = (next: Partial<DripFormValues>) => setValues((v) => ({ ...v, ...next }))
  const setStep = (i: number, next: Partial<DripFormStep>) => set({ steps: values.steps.map((s, j) => (j === i ? { ...s, ...next } : s)) })
  const move = (i: number, by: number) => {
    const steps = [...values.steps]
    const [step] = steps.splice(i, 1)
    steps.splice(i + by, 0, step!)
    set({ steps })
  }
  const errorList = Object.entries(errors)

  return (
    <Form method="post" aria-label="Drip" onChange={noteEdit}>
      <CsrfInput />
      <input type="hidden" name="intent" value="save" />
      <input type="hidden" name="stepCount" value={values.steps.length} />
      <Stack gap="lg">
        {errorList.length > 0 ? (
          <Alert color="red" role="alert" title="The drip was not saved">
            <List size="sm">
              {errorList.map(([field, message]) => (
                <List.Item key={field}>
                  {labelOfField(field)}: {message}
                </List.Item>
              ))}
            </List>
          </Alert>
        ) : null}
        <TextInput label="Drip name" name="name" value={values.name} onChange={(e) => set({ name: e.currentTarget.value })} error={errors.name} required />

        <Fieldset legend="Who enters">
          <Stack>
            <DripTriggerFields triggers={values.triggers} options={options} errors={errors} onChange={(triggers) => set({ triggers })} />
            <NativeSelect
              label="Can a contact enter again?"
              name="reentry"
              value={values.reentry}
              onChange={(e) => set({ reentry: e.currentTarget.value as DripFormValues['reentry'] })}
              data={[
                { value: 'once_ever', label: 'Once ever' },
                { value: 'once_at_a_time', label: 'Again after finishing (once at a time)' },
                { value: 'every_time', label: 'Every time a trigger fires' },
              ]}
            />
            <TextInput
              label="Goals (event names, comma-separated)"
              description="A contact who reaches a goal leaves the drip, e.g. purchase"
              name="goals"
              value={values.goals}
              onChange={(e) => set({ goals: e.currentTarget.value })}
              error={errors.goals}
            />
            <TextInput
              label="Attribution window (days)"
              description="A goal event counts as a conversion of the last email sent to the contact, if sent no more than this many days before it (empty: 7 days)"
              name="attributionDays"
              inputMode="numeric"
              w={260}
              value={values.attributionDays}
              onChange={(e) => set({ attributionDays: e.currentTarget.value })}
              error={errors.attributionDays}
            />
            <Checkbox
              label="UTM parameters on tracked links"
              description="Links in the emails lead to the link with utm_source=email, utm_medium=email, utm_campaign (the drip's name) and utm_content (the step), so your site's analytics can tell where a visit came from."
              name="utm"
              checked={values.utm}
              onChange={(e) => set({ utm: e.currentTarget.checked })}
            />
            <TextInput
              label="Campaign (optional)"
              description="Give a drip and a series the same campaign name to see one funnel across social posts and email under Analytics."
              name="campaign"
              maw={360}
              value={values.campaign}
              onChange={(e) => set({ campaign: e.currentTarget.value })}
              error={errors.campaign}
            />
          </Stack>
        </Fieldset>

        <Fieldset legend="When emails may go out">
          <Stack>
            <NativeSelect
              label="Time zone for contacts without one"
              name="timezone"
              value={values.timezone}
              onChange={(e) => set({ timezone: e.currentTarget.value })}
              error={errors.timezone}
              data={options.timezones}
            />
            <Checkbox label="Only within a send window (in each contact's time zone)" name="windowOn" checked={values.windowOn} onChange={(e) => set({ windowOn: e.currentTarget.checked })} />
            {values.windowOn ? (
              <>
                <Checkbox.Group label="Days" value={values.windowDays} onChange={(days) => set({ windowDays: days })} error={errors['window.days']}>
                  <Group gap="sm" mt={4}>
                    {WEEKDAY_CHOICES.map((d) => (
                      <Checkbox key={d} name="window.days" value={d} label={WEEKDAY_LABELS[d]} />
                    ))}
                  </Group>
                </Checkbox.Group>
                <Group grow>
                  <TextInput type="time" label="From" name="window.start" value={values.windowStart} onChange={(e) => set({ windowStart: e.currentTarget.value })} error={errors['window.start']} />
                  <TextInput type="time" label="Until" name="window.end" value={values.windowEnd} onChange={(e) => set({ windowEnd: e.currentTarget.value })} error={errors['window.end']} />
                </Group>
              </>
            ) : null}
            <Checkbox label="Quiet hours (nothing is sent in between)" name="quietOn" checked={values.quietOn} onChange={(e) => set({ quietOn: e.currentTarget.checked })} />
            {values.quietOn ? (
              <Group grow>
                <TextInput type="time" label="Quiet from" name="quietHours.start" value={values.quietStart} onChange={(e) => set({ quietStart: e.currentTarget.value })} error={errors['quietHours.start']} />
                <TextInput type="time" label="Quiet until" name="quietHours.end" value={values.quietEnd} onChange={(e) => set({ quietEnd: e.currentTarget.value })} error={errors['quietHours.end'] ?? errors.quietHours} />
              </Group>
            ) : null}
          </Stack>
        </Fieldset>

        <Title order={2}>Steps</Title>
        <Text c="dimmed" size="sm">
          Subject and message are Liquid templates: {'{{ contact.first_name | default: "there" }}'}, {'{{ contact.fields.company }}'}, {'{% if contact.fields.plan == "pro" %}…{% endif %}'}. Merge fields:{' '}
          {options.mergeFields.join(', ')}. Every email gets your postal address and an unsubscribe link.
        </Text>
        <TextInput
          label="Preview emails as (a contact's email)"
          description="Empty: Jane Doe, a made-up contact with a sample value in every field"
          inputMode="email"
          autoComplete="off"
          value={sampleContact}
          onChange={(e) => setSampleContact(e.currentTarget.value)}
          error={sampleContactError}
          maw={420}
        />
        {errors.steps ? (
          <Text c="red" size="sm" role="alert">
            {errors.steps}
          </Text>
        ) : null}
        {values.steps.map((step, i) => (
          <StepFields
            key={i}
            index={i}
            step={step}
            waiting={props.waiting && step.id ? (props.waiting[step.id] ?? 0) : null}
            count={values.steps.length}
            errors={errors}
            options={options}
            sampleContact={sampleContact}
            onSampleContactError={i === 0 ? setSampleContactError : undefined}
            onChange={(next) => setStep(i, next)}
            onMove={(by) => move(i, by)}
            onRemove={() => set({ steps: values.steps.filter((_, j) => j !== i) })}
          />
        ))}
        <Button variant="default" w="fit-content" onClick={() => set({ steps: [...values.steps, { ...emptyStep(), delayAmount: '2' }] })} disabled={values.steps.length >= 100}>
          Add a step
        </Button>
        <DripTimeline values={values} timezones={options.timezones} />
        <Group>
          <Button type="submit" loading={navigation.state === 'submitting' && navigation.formData?.get('intent') === 'save'}>
            {props.submitLabel}
          </Button>
        </Group>
      </Stack>
    </Form>
  )
}

function StepFields(props: {
  index: number
  step: DripFormStep
  waiting: number | null
  count: number
  errors: Record<string, string>
  options: DripEditorOptions
  sampleContact: string
  onSampleContactError?(message: string | undefined): void
  onChange(next: Partial<DripFormStep>): void
  onMove(by: number): void
  onRemove(): void
}) {
  const { index: i, step, errors } = props
  const p = `steps.${i}.`
  const n = i + 1
  const conditions = i === 0 ? CONDITION_LABELS.filter((c) => !(STEP_CONDITION_CHOICES as readonly string[]).includes(c.value)) : CONDITION_LABELS
  const needsEmailStep = (EMAIL_CONDITION_CHOICES as readonly string[]).includes(step.condition)
  // Bounced / complained / unsubscribed may look at the contact as a whole (no step): its email state now.
  const anyEmail = needsEmailStep && !(STEP_CONDITION_CHOICES as readonly string[]).includes(step.condition)
  const needsEvent = step.condition === 'event' || step.condition === 'no-event'
  const needsSegment = step.condition === 'segment' || step.condition === 'not-segment'
  return (
    <Paper withBorder p="md" component="section" aria-labelledby={`step-${n}-title`}>
      <input type="hidden" name={`${p}id`} value={step.id} />
      <input type="hidden" name={`${p}conditionJson`} value={step.conditionJson} />
      <Stack>
        <Group justify="space-between">
          <Group gap="sm">
            <Title order={3} id={`step-${n}-title`}>
              Step {n}
            </Title>
            {props.waiting === null ? null : (
              <Badge variant="light" color="blue" size="lg">
                {`${props.waiting} waiting for step ${n}`}
              </Badge>
            )}
          </Group>
          <Group gap="xs">
            <Button size="xs" variant="subtle" onClick={() => props.onMove(-1)} disabled={i === 0} aria-label={`Move step ${n} up`}>
              Up
            </Button>
            <Button size="xs" variant="subtle" onClick={() => props.onMove(1)} disabled={i === props.count - 1} aria-label={`Move step ${n} down`}>
              Down
            </Button>
            <Button size="xs" variant="subtle" color="red" onClick={props.onRemove} disabled={props.count === 1} aria-label={`Remove step ${n}`}>
              Remove
            </Button>
          </Group>
        </Group>
        <Radio.Group label={`Step ${n}: kind`} name={`${p}kind`} value={step.kind} onChange={(kind) => props.onChange({ kind: kind as DripFormStep['kind'] })} error={errors[`${p}kind`]}>
          <Group gap="md" mt={4}>
            <Radio value="email" label="Email" />
            <Radio value="action" label="Action" />
            <Radio value="sms" label="SMS" />
            <Radio value="mail" label="Postcard or letter" />
          </Group>
        </Radio.Group>
        <Group grow align="flex-start">
          <TextInput
            type="number"
            min={0}
            label={`Step ${n}: wait`}
            name={`${p}delayAmount`}
            value={step.delayAmount}
            onChange={(e) => props.onChange({ delayAmount: e.currentTarget.value })}
            error={errors[`${p}delayAmount`]}
          />
          <NativeSelect
            label={`Step ${n}: unit`}
            name={`${p}delayUnit`}
            value={step.delayUnit}
            onChange={(e) => props.onChange({ delayUnit: e.currentTarget.value as DripFormStep['delayUnit'] })}
            data={['minutes', 'hours', 'days', 'weeks', 'months']}
          />
          <NativeSelect
            label={`Step ${n}: counted from`}
            name={`${p}after`}
            value={step.after}
            onChange={(e) => props.onChange({ after: e.currentTarget.value as DripFormStep['after'] })}
            data={[
              { value: 'previous-step', label: i === 0 ? 'enrollment' : 'the previous step' },
              { value: 'enrollment', label: 'enrollment' },
            ]}
          />
        </Group>
        {step.condition === 'advanced' ? (
          <>
            <input type="hidden" name={`${p}condition`} value="advanced" />
            <Text size="sm">Condition: a rule set through the API (kept as is).</Text>
          </>
        ) : (
          <NativeSelect
            label={`Step ${n}: condition`}
            name={`${p}condition`}
            value={step.condition}
            onChange={(e) => {
              const condition = e.currentTarget.value as DripFormStep['condition']
              // The first step has no earlier email: a bounce, complaint or unsubscribe condition looks at the contact.
              // Opens and clicks need an earlier step (step 1 unless one was chosen).
              if (i === 0 && (EMAIL_CONDITION_CHOICES as readonly string[]).includes(condition)) props.onChange({ condition, conditionStep: '' })
              else if ((STEP_CONDITION_CHOICES as readonly string[]).includes(condition) && step.conditionStep === '') props.onChange({ condition, conditionStep: '1' })
              else props.onChange({ condition })
            }}
            error={errors[`${p}condition`]}
            data={conditions}
          />
        )}
        {needsEmailStep || needsEvent || needsSegment ? (
          <Group grow align="flex-start">
            {needsEmailStep ? (
              <NativeSelect
                label="Which email"
                name={`${p}conditionStep`}
                value={step.conditionStep}
                onChange={(e) => props.onChange({ conditionStep: e.currentTarget.value })}
                error={errors[`${p}conditionStep`]}
                data={[...(anyEmail ? [{ value: '', label: 'Any email (the contact now)' }] : []), ...Array.from({ length: i }, (_, k) => ({ value: String(k + 1), label: `Step ${k + 1}` }))]}
              />
            ) : null}
            {needsEvent ? <TextInput label="Event name" name={`${p}conditionEvent`} value={step.conditionEvent} onChange={(e) => props.onChange({ conditionEvent: e.currentTarget.value })} error={errors[`${p}conditionEvent`]} /> : null}
            {needsSegment ? (
              <NativeSelect
                label="Segment"
                name={`${p}conditionSegment`}
                value={step.conditionSegment}
                onChange={(e) => props.onChange({ conditionSegment: e.currentTarget.value })}
                error={errors[`${p}conditionSegment`]}
                data={[{ value: '', label: 'Choose a segment' }, ...props.options.segments]}
              />
            ) : null}
            {(needsEmailStep && step.conditionStep !== '') || needsEvent ? (
              <TextInput type="number" min={0} label="Within days (empty: any time)" name={`${p}conditionDays`} value={step.conditionDays} onChange={(e) => props.onChange({ conditionDays: e.currentTarget.value })} error={errors[`${p}conditionDays`]} />
            ) : null}
          </Group>
        ) : null}
        {step.condition !== 'none' ? (
          <NativeSelect
            label={`Step ${n}: otherwise`}
            name={`${p}onFalse`}
            value={step.onFalse}
            onChange={(e) => props.onChange({ onFalse: e.currentTarget.value })}
            error={errors[`${p}onFalse`]}
            data={[
              { value: 'skip', label: 'Skip this step' },
              { value: 'exit', label: 'End the drip for this contact' },
              ...Array.from({ length: props.count - i - 1 }, (_, k) => ({ value: `goto:${i + k + 2}`, label: `Jump to step ${i + k + 2}` })),
            ]}
          />
        ) : (
          <input type="hidden" name={`${p}onFalse`} value="skip" />
        )}
        {step.kind === 'action' ? (
          <ActionStepFields index={i} step={step} errors={errors} options={props.options} onChange={props.onChange} />
        ) : step.kind === 'sms' ? (
          <SmsStepFields index={i} step={step} errors={errors} options={props.options} onChange={props.onChange} />
        ) : step.kind === 'mail' ? (
          <MailStepFields index={i} step={step} errors={errors} options={props.options} onChange={props.onChange} />
        ) : (
          <EmailStepFields {...props} />
        )}
        {step.kind === 'email' ? null : (
          <>
            {/* An email switched to another kind keeps its text through a failed save, in case it is switched back. */}
            <input type="hidden" name={`${p}subject`} value={step.subject} />
            <input type="hidden" name={`${p}markdown`} value={step.markdown} />
          </>
        )}
      </Stack>
    </Paper>
  )
}

/** An email step's subject, Markdown body and live preview. */
function EmailStepFields(props: Pick<Parameters<typeof StepFields>[0], 'index' | 'step' | 'errors' | 'sampleContact' | 'onSampleContactError' | 'onChange'>) {
  const { index: i, step, errors } = props
  const p = `steps.${i}.`
  const n = i + 1
  const { preview, errors: previewErrors } = useStepPreview({ subject: step.subject, markdown: step.markdown, contact: props.sampleContact })
  const { onSampleContactError } = props
  useEffect(() => onSampleContactError?.(previewErrors.contact), [onSampleContactError, previewErrors.contact])
  return (
    <>
      <TextInput label={`Step ${n}: subject`} name={`${p}subject`} value={step.subject} onChange={(e) => props.onChange({ subject: e.currentTarget.value })} error={errors[`${p}subject`] ?? previewErrors.subject} />
      <Textarea
        label={`Step ${n}: message (Markdown)`}
        name={`${p}markdown`}
        value={step.markdown}
        onChange={(e) => props.onChange({ markdown: e.currentTarget.value })}
        error={errors[`${p}markdown`] ?? previewErrors.markdown}
        autosize
        minRows={5}
      />
      <StepPreview n={n} subject={step.subject} markdown={step.markdown} contact={props.sampleContact} preview={preview} />
    </>
  )
}

/** `steps.1.subject` → "Step 2 subject", `triggers.0.segmentId` → "Trigger 1 segment" for the error summary. */
function labelOfField(field: string): string {
  const item = /^(steps|triggers)\.(\d+)\.(\w+)/.exec(field)
  if (item) {
    const what = item[1] === 'steps' ? item[3]! : ({ kind: 'kind', formId: 'signup form', segmentId: 'segment', field: 'date field', dripId: 'drip', step: 'step number', url: 'link' } as Record<string, string>)[item[3]!] ?? item[3]!
    return `${item[1] === 'steps' ? 'Step' : 'Trigger'} ${Number(item[2]) + 1} ${what.replace(/([A-Z])/g, ' $1').toLowerCase()}`
  }
  return field.replace(/\./g, ' ')
}
