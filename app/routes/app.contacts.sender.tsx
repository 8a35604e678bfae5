import { Alert, Button, Group, NativeSelect, NumberInput, PasswordInput, Stack, Text, Textarea, TextInput, Title } from '@mantine/core'
import { data, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node'
import { Form, useActionData, useLoaderData } from '@remix-run/react'
import { CsrfInput } from '~/components/csrf-input'
import { GeneralErrorBoundary } from '~/components/error-boundary'
import { requireMembership } from '~/utils/auth.server'
import { readForm } from '~/utils/forms.server'
import { loadEmailSettings, saveSender, SenderFormSchema, senderFromForm } from '../core.server'

export const meta: MetaFunction = () => [{ title: 'Email sender · Trickle' }]

export async function loader({ request, context }: LoaderFunctionArgs) {
  const { services } = context
  const { workspace } = await requireMembership(request, services)
  const settings = await loadEmailSettings(services, { workspaceId: workspace.id })
  return {
    settings: settings ? { fromName: settings.fromName, fromEmail: settings.fromEmail, replyTo: settings.replyTo ?? '', postalAddress: settings.postalAddress, hasSender: settings.senderAccountId !== null } : null,
  }
}

export async function action({ request, context }: ActionFunctionArgs) {
  const { services } = context
  const { workspace } = await requireMembership(request, services, { role: 'editor' })
  const form = await readForm(request, services, SenderFormSchema)
  if (!form.ok) return data({ fieldErrors: form.fieldErrors, message: null }, { status: 400 })
  await saveSender(services, senderFromForm(workspace.id, form.data))
  return { fieldErrors: {}, message: 'Sender saved.' }
}

export default function Sender() {
  const { settings } = useLoaderData<typeof loader>()
  const result = useActionData<typeof action>()
  const errors: Record<string, string | undefined> = result?.fieldErrors ?? {}
  return (
    <Stack maw={800}>
      <Title order={1}>Email sender</Title>
      {result?.message ? (
        <Alert color="teal" role="status">
          {result.message}
        </Alert>
      ) : null}
      <Text c="dimmed">
        Confirmation emails, drips and problem digests go out through this SMTP server. The password is stored encrypted.
        {settings?.hasSender ? ' Saving again replaces the SMTP settings: enter the password again if the server needs one.' : ''}
      </Text>
      <Form method="post">
        <CsrfInput />
        <input type="hidden" name="intent" value="save-sender" />
        <Stack>
          <Group grow>
            <TextInput label="From name" name="fromName" defaultValue={settings?.fromName} error={errors.fromName} />
            <TextInput label="From address" name="fromEmail" defaultValue={settings?.fromEmail} error={errors.fromEmail} />
            <TextInput label="Reply-to (optional)" name="replyTo" defaultValue={settings?.replyTo} error={errors.replyTo} />
          </Group>
          <Textarea label="Postal address" name="postalAddress" defaultValue={settings?.postalAddress} error={errors.postalAddress} />
          <Group grow>
            <TextInput label="SMTP host" name="host" error={errors.host} />
            <NumberInput label="Port" name="port" defaultValue={587} error={errors.port} />
            <NativeSelect label="Security" name="security" data={['starttls', 'tls', 'none']} />
          </Group>
          <Group grow>
            <TextInput label="SMTP user" name="user" autoComplete="off" />
            <PasswordInput label="SMTP password" name="password" autoComplete="new-password" />
          </Group>
          <Button type="submit">Save sender</Button>
        </Stack>
      </Form>
    </Stack>
  )
}

export function ErrorBoundary() {
  return <GeneralErrorBoundary />
}
