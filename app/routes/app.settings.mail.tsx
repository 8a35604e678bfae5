import { Alert, Button, Code, Group, PasswordInput, Stack, Text, TextInput, Title } from '@mantine/core'
import { data, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node'
import { Form, useActionData, useLoaderData } from '@remix-run/react'
import { CsrfInput } from '~/components/csrf-input'
import { GeneralErrorBoundary } from '~/components/error-boundary'
import { requireMembership } from '~/utils/auth.server'
import { formStrings, readFormData } from '~/utils/forms.server'
import { getMailSettings, InputError, saveMailSettings } from '../core.server'

export const meta: MetaFunction = () => [{ title: 'Direct mail · Settings · Trickle' }]

const FIELDS = ['apiKey', 'webhookSecret', 'postcardPrice', 'letterPrice', 'letterExtraPagePrice', 'currency'] as const
const ADDRESS = ['name', 'line1', 'line2', 'city', 'state', 'zip'] as const

export async function loader({ request, context }: LoaderFunctionArgs) {
  const { services } = context
  const { workspace } = await requireMembership(request, services)
  return { settings: await getMailSettings(services, { workspaceId: workspace.id }) }
}

/** Saves the workspace's Lob settings (decision 089): the API key and webhook secret are sealed in the token vault and never shown again. */
export async function action({ request, context }: ActionFunctionArgs) {
  const { services } = context
  const { workspace } = await requireMembership(request, services, { role: 'editor' })
  const form = await readFormData(request, services)
  const returnAddress = formStrings(form, ADDRESS, 'returnAddress.')
  if (!returnAddress.line2?.trim()) delete returnAddress.line2
  const input = { ...formStrings(form, FIELDS), returnAddress }
  try {
    await saveMailSettings(services, { workspaceId: workspace.id, input })
  } catch (error) {
    if (error instanceof InputError) return data({ fieldErrors: { [error.field ?? 'apiKey']: error.message } as Record<string, string>, message: null }, { status: error.status })
    throw error
  }
  return { fieldErrors: {} as Record<string, string>, message: 'Direct mail settings saved.' }
}

export default function MailSettings() {
  const { settings } = useLoaderData<typeof loader>()
  const result = useActionData<typeof action>()
  const errors: Record<string, string | undefined> = result?.fieldErrors ?? {}
  const a = settings.returnAddress
  return (
    <Stack>
      <Title order={2}>Direct mail</Title>
      {result?.message ? (
        <Alert color="teal" role="status">
          {result.message}
        </Alert>
      ) : null}
      {settings.configured ? null : (
        <Alert color="yellow" title="Direct mail is not set up">
          Drips with postcard or letter steps cannot be activated until a Lob API key and a return address are saved here.
        </Alert>
      )}
      <Text c="dimmed">
        Postcards and letters go out through your Lob account, to contacts with a US postal address. Each address is checked with Lob before its first piece; an undeliverable one skips the step.
        The API key and webhook secret are stored encrypted; leave them empty to keep the saved ones.
      </Text>
      <Form method="post" key={JSON.stringify(settings)}>
        <CsrfInput />
        <Stack>
          <Group grow align="flex-start">
            <PasswordInput label="Lob API key" name="apiKey" error={errors.apiKey} autoComplete="new-password" placeholder={settings.apiKeySet ? 'saved (leave empty to keep)' : 'test_… or live_…'} />
            <PasswordInput label="Webhook secret" name="webhookSecret" error={errors.webhookSecret} autoComplete="new-password" placeholder={settings.webhookSecretSet ? 'saved (leave empty to keep)' : ''} />
          </Group>
          <Title order={3}>Return address</Title>
          <Group grow align="flex-start">
            <TextInput label="Name" name="returnAddress.name" defaultValue={a?.name ?? ''} error={errors['returnAddress.name']} />
            <TextInput label="Street" name="returnAddress.line1" defaultValue={a?.line1 ?? ''} error={errors['returnAddress.line1']} />
            <TextInput label="Unit (optional)" name="returnAddress.line2" defaultValue={a?.line2 ?? ''} error={errors['returnAddress.line2']} />
          </Group>
          <Group grow align="flex-start">
            <TextInput label="City" name="returnAddress.city" defaultValue={a?.city ?? ''} error={errors['returnAddress.city']} />
            <TextInput label="State" description="Two letters, e.g. CA" name="returnAddress.state" defaultValue={a?.state ?? ''} error={errors['returnAddress.state']} />
            <TextInput label="ZIP code" name="returnAddress.zip" defaultValue={a?.zip ?? ''} error={errors['returnAddress.zip']} />
          </Group>
          <Title order={3}>Prices</Title>
          <Text size="sm" c="dimmed">
            Shown in the drip builder as the cost of each piece.
          </Text>
          <Group grow align="flex-start">
            <TextInput label="Postcard" name="postcardPrice" defaultValue={String(settings.prices.postcard)} error={errors.postcardPrice} inputMode="decimal" />
            <TextInput label="Letter (first page)" name="letterPrice" defaultValue={String(settings.prices.letter)} error={errors.letterPrice} inputMode="decimal" />
            <TextInput label="Each further page" name="letterExtraPagePrice" defaultValue={String(settings.prices.letterExtraPage)} error={errors.letterExtraPagePrice} inputMode="decimal" />
            <TextInput label="Currency" name="currency" defaultValue={settings.currency} error={errors.currency} />
          </Group>
          <Button type="submit" w="fit-content">
            Save direct mail settings
          </Button>
        </Stack>
      </Form>
      <Stack gap={4}>
        <Title order={3}>Lob webhook</Title>
        <Text size="sm">Add this URL as a webhook in Lob’s dashboard (postcard and letter tracking events), and paste its secret above: tracking shows on each piece’s delivery.</Text>
        <Code block>{settings.webhookUrl}</Code>
      </Stack>
    </Stack>
  )
}

export function ErrorBoundary() {
  return <GeneralErrorBoundary />
}
