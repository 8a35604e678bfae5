import { Alert, Anchor, Group, Radio, Select, Text, Textarea, TextInput } from '@mantine/core'
import { Link } from '@remix-run/react'
import { mailCost } from '#domain/mail/address'
import type { DripFormStep } from '#core/drip-form'
import type { DripEditorOptions } from './drip-editor'

/**
 * A direct-mail step (decision 089): a postcard (front and back) or a letter, in HTML with the same merge
 * fields as emails, and what one piece costs at the workspace's Lob prices.
 */
export function MailStepFields(props: { index: number; step: DripFormStep; errors: Record<string, string>; options: DripEditorOptions; onChange(next: Partial<DripFormStep>): void }) {
  const { index: i, step, errors, options } = props
  const p = `steps.${i}.`
  const n = i + 1
  const piece = step['mail.piece']
  const pages = Math.max(1, Math.min(6, Number(step['mail.pages']) || 1))
  const cost = mailCost({ piece, pages, prices: options.mail.prices })
  const money = (v: number) => new Intl.NumberFormat('en-US', { style: 'currency', currency: options.mail.currency, maximumFractionDigits: 4 }).format(v)
  const html = (name: 'mail.front' | 'mail.back' | 'mail.file', label: string) => (
    <Textarea label={`Step ${n}: ${label}`} name={`${p}${name}`} value={step[name]} onChange={(e) => props.onChange({ [name]: e.currentTarget.value })} error={errors[`${p}${name}`]} autosize minRows={3} />
  )
  return (
    <>
      {options.mail.configured ? null : (
        <Alert color="yellow" title="Direct mail is not set up">
          Add your Lob API key and return address under{' '}
          <Anchor component={Link} to="/app/settings/mail">
            Settings → Direct mail
          </Anchor>{' '}
          before activating a drip with postcards or letters.
        </Alert>
      )}
      <Radio.Group label={`Step ${n}: piece`} name={`${p}mail.piece`} value={piece} onChange={(v) => props.onChange({ 'mail.piece': v as DripFormStep['mail.piece'] })} error={errors[`${p}mail.piece`]}>
        <Group gap="md" mt={4}>
          <Radio value="postcard" label="Postcard" />
          <Radio value="letter" label="Letter" />
        </Group>
      </Radio.Group>
      <Text size="xs" c="dimmed">
        HTML; merge fields work as in emails, e.g. {'{{ contact.first_name }}'}. Sent only to contacts with a US postal address, checked with Lob before the first piece.
      </Text>
      {piece === 'postcard' ? (
        <>
          <Select label={`Step ${n}: size`} name={`${p}mail.size`} value={step['mail.size'] || '4x6'} onChange={(size) => props.onChange({ 'mail.size': size ?? '4x6' })} data={['4x6', '6x9', '6x11']} allowDeselect={false} error={errors[`${p}mail.size`]} />
          {html('mail.front', 'front of the postcard')}
          {html('mail.back', 'back of the postcard')}
        </>
      ) : (
        <>
          {html('mail.file', 'letter')}
          <TextInput type="number" min={1} max={6} label={`Step ${n}: pages`} name={`${p}mail.pages`} value={step['mail.pages']} onChange={(e) => props.onChange({ 'mail.pages': e.currentTarget.value })} error={errors[`${p}mail.pages`]} />
        </>
      )}
      <Text size="sm" aria-live="polite" data-testid={`mail-cost-${n}`}>
        {`About ${money(cost)} per piece`}
      </Text>
    </>
  )
}
