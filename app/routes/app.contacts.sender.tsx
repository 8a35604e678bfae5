import { Alert, Button, Group, NativeSelect, NumberInput, PasswordInput, Stack, Text, Textarea, TextInput, Title } from '@mantine/core'
import { z } from 'zod'
import { data, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node'
import { Form, useActionData, useLoaderData } from '@remix-run/react'
import { CsrfInput } from '~/components/csrf-input'
import { GeneralErrorBoundary } from '~/components/error-boundary'
import { forbidden, requireMembership } from '~/utils/auth.server'
import { readForm } from '~/utils/forms.server'
import { DkimSection } from '~/components/dkim-section'
import { DkimFormSchema, InputError, loadDkim, loadEmailSettings, removeDkim, saveDkim, saveSender, SenderFormSchema, senderFromForm } from '../core.server'

export const meta: MetaFunction = () => [{ title: 'Email sender · Trickle' }]

export async function loader({ request, context }: LoaderFunctionArgs) {
  const { services } = context
  const { workspace } = await requireMembership(request, services)
  const [settings, dkim] = await Promise.all([loadEmailSettings(services, { workspaceId: workspace.id }), loadDkim(services, { workspaceId: workspace.id })])
  return {
    dkim,
    settings: settings ? { fromName: settings.fromName, fromEmail: settings.fromEmail, replyTo: settings.replyTo ?? '', postalAddress: settings.postalAddress, hasSender: settings.senderAccountId !== null } : null,
  }
}

export async function action({ request, context }: ActionFunctionArgs) {
  const { services } = context
  const { workspace, user, membership } = await requireMembership(request, services, { role: 'editor' })
  const form = await readForm(request, services, z.discriminatedUnion('intent', [SenderFormSchema, DkimFormSchema, z.object({ intent: z.literal('remove-dkim') })]))
  if (!form.ok) return data({ fieldErrors: form.fieldErrors, message: null }, { status: 400 })
  if (form.data.intent === 'remove-dkim') {
    if (membership.role !== 'owner') throw forbidden('Only a workspace owner can remove the DKIM key.')
    await removeDkim(services, { workspaceId: workspace.id, actorUserId: user.id })
    return { fieldErrors: {}, message: 'DKIM key removed: mail is no longer signed by Trickle. Remove the TXT record from your DNS once nothing signed with it is still in transit.' }
  }
  if (form.data.intent === 'save-dkim') {
    if (membership.role !== 'owner') throw forbidden('Only a workspace owner can set the DKIM key.')
    try {
      await saveDkim(services, { workspaceId: workspace.id, actorUserId: user.id, form: form.data })
    } catch (error) {
      if (error instanceof InputError) return data({ fieldErrors: { [error.field ?? 'domain']: error.message }, message: null }, { status: error.status })
      throw error
    }
    return { fieldErrors: {}, message: 'DKIM key saved. Publish the TXT record below, then mail is signed for your domain.' }
  }
  await saveSender(services, senderFromForm(workspace.id, form.data))
  return { fieldErrors: {}, message: 'Sender saved.' }
}

export default function Sender() {
  const { settings, dkim } = useLoaderData<typeof loader>()
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
      {settings?.hasSender ? <DkimSection dkim={dkim} fromDomain={settings.fromEmail.split('@')[1] ?? ''} errors={errors} /> : null}
    </Stack>
  )
}

export function ErrorBoundary() {
  return <GeneralErrorBoundary />
}
