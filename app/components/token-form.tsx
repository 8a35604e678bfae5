import { Stack, TextInput } from '@mantine/core'
import { Form } from '@remix-run/react'
import { ConnectHelp, ConnectSubmit } from '~/components/connect-help'
import { CsrfInput } from '~/components/csrf-input'

export type TokenFormView = {
  fields: Array<{ name: string; label: string; description: string; secret?: boolean; placeholder?: string; optional?: boolean }>
  help: string
  helpLink?: { url: string; label: string }
}

/** The form's field name (core/account-token.server.ts reads the same): secret values are never echoed back. */
const fieldName = (field: { name: string; secret?: boolean }) => `${field.secret ? 'secret' : 'field'}_${field.name}`

/**
 * The Accounts page's connection for networks that connect with values copied from the network (a
 * Telegram bot token and channel, a Discord webhook URL, a webhook's URL and secret). Secret values are
 * posted once, checked against the network and kept only in the sealed credentials.
 */
export function TokenForm({
  kind,
  name,
  form,
  values,
  errors,
  reconnecting,
}: {
  kind: string
  name: string
  form: TokenFormView
  values?: Record<string, string>
  errors?: Record<string, string>
  reconnecting?: boolean
}) {
  return (
    <Form method="post" reloadDocument noValidate>
      <CsrfInput />
      <input type="hidden" name="intent" value="token" />
      <input type="hidden" name="kind" value={kind} />
      <Stack gap="xs">
        <ConnectHelp help={form.help} link={form.helpLink} />
        {form.fields.map((field, i) => {
          const props = {
            label: field.optional ? `${field.label} (optional)` : field.label,
            description: field.description,
            name: fieldName(field),
            placeholder: field.placeholder,
            autoComplete: 'off',
            spellCheck: false,
            required: !field.optional,
            autoFocus: reconnecting && i === 0,
            error: errors?.[fieldName(field)],
          }
          return field.secret ? <TextInput key={field.name} {...props} type="password" /> : <TextInput key={field.name} {...props} defaultValue={values?.[fieldName(field)]} />
        })}
        <ConnectSubmit name={name} reconnecting={reconnecting} error={errors?.kind} />
      </Stack>
    </Form>
  )
}
