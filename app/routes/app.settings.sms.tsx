import { Alert, Button, Code, Group, PasswordInput, Stack, Text, Textarea, TextInput, Title } from '@mantine/core'
import { data, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node'
import { Form, useActionData, useLoaderData } from '@remix-run/react'
import { CsrfInput } from '~/components/csrf-input'
import { GeneralErrorBoundary } from '~/components/error-boundary'
import { requireMembership } from '~/utils/auth.server'
import { formStrings, readFormData } from '~/utils/forms.server'
import { getSmsSettings, InputError, saveSmsSettings } from '../core.server'

export const meta: MetaFunction = () => [{ title: 'SMS · Settings · Trickle' }]

const FIELDS = ['accountSid', 'authToken', 'fromNumber', 'messagingServiceSid', 'pricePerSegment', 'currency', 'helpText'] as const

export async function loader({ request, context }: LoaderFunctionArgs) {
  const { services } = context
  const { workspace } = await requireMembership(request, services)
  return { settings: await getSmsSettings(services, { workspaceId: workspace.id }) }
}

/** Saves the workspace's Twilio account (decision 081): the auth token is sealed in the token vault and never shown again. */
export async function action({ request, context }: ActionFunctionArgs) {
  const { services } = context
  const { workspace } = await requireMembership(request, services, { role: 'editor' })
  const form = await readFormData(request, services)
  const input = formStrings(form, FIELDS)
  try {
    await saveSmsSettings(services, { workspaceId: workspace.id, input })
  } catch (error) {
    if (error instanceof InputError) return data({ fieldErrors: { [error.field ?? 'accountSid']: error.message } as Record<string, string>, message: null }, { status: error.status })
    throw error
  }
  return { fieldErrors: {} as Record<string, string>, message: 'SMS settings saved.' }
}

export default function SmsSettings() {
  const { settings } = useLoaderData<typeof loader>()
  const result = useActionData<typeof action>()
  const errors: Record<string, string | undefined> = result?.fieldErrors ?? {}
  return (
    <Stack>
      <Title order={2}>SMS</Title>
      {result?.message ? (
        <Alert color="teal" role="status">
          {result.message}
        </Alert>
      ) : null}
      {settings.configured ? null : (
        <Alert color="yellow" title="SMS is not set up">
          Drips with SMS steps cannot be activated until a Twilio account and a sender are saved here.
        </Alert>
      )}
      <Text c="dimmed">
        Drip SMS steps go out through your Twilio account. The auth token is stored encrypted; leave it empty to keep the saved one. Texts go only to contacts with a phone number and SMS
        consent.
      </Text>
      {/* Keyed by what is saved, so the fields show the stored (normalised) values after a save. */}
      <Form method="post" key={`${settings.accountSid}:${settings.fromNumber}:${settings.messagingServiceSid}:${settings.pricePerSegment}:${settings.currency}`}>
        <CsrfInput />
        <Stack>
          <Group grow align="flex-start">
            <TextInput label="Account SID" name="accountSid" defaultValue={settings.accountSid ?? ''} error={errors.accountSid} autoComplete="off" />
            <PasswordInput label="Auth token" name="authToken" error={errors.authToken} autoComplete="new-password" placeholder={settings.configured ? 'saved (leave empty to keep)' : ''} />
          </Group>
          <Group grow align="flex-start">
            <TextInput label="From number" description="E.164, e.g. +14155550123" name="fromNumber" defaultValue={settings.fromNumber ?? ''} error={errors.fromNumber} />
            <TextInput label="Messaging service SID (optional, instead of a number)" name="messagingServiceSid" defaultValue={settings.messagingServiceSid ?? ''} error={errors.messagingServiceSid} />
          </Group>
          <Group grow align="flex-start">
            <TextInput label="Price per segment" description="Shown in the drip builder as the cost per send" name="pricePerSegment" defaultValue={String(settings.pricePerSegment)} error={errors.pricePerSegment} inputMode="decimal" />
            <TextInput label="Currency" name="currency" defaultValue={settings.currency} error={errors.currency} />
          </Group>
          <Textarea label="Answer to HELP" name="helpText" defaultValue={settings.helpText ?? ''} error={errors.helpText} placeholder="Reply STOP to stop texts, START to get them again." />
          <Button type="submit" w="fit-content">
            Save SMS settings
          </Button>
        </Stack>
      </Form>
      <Stack gap={4}>
        <Title order={3}>Twilio webhooks</Title>
        <Text size="sm">Set this as the number’s “A message comes in” webhook (HTTP POST): STOP, START and HELP replies and other replies arrive here.</Text>
        <Code block>{settings.inboundUrl}</Code>
        <Text size="sm">Status callbacks (sent with each message) update the step’s deliveries:</Text>
        <Code block>{settings.statusUrl}</Code>
      </Stack>
    </Stack>
  )
}

export function ErrorBoundary() {
  return <GeneralErrorBoundary />
}
