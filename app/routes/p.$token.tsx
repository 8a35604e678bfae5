import { Alert, Button, Container, Group, Stack, Text, TextInput, Title } from '@mantine/core'
import { data, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node'
import { Form, useActionData, useLoaderData } from '@remix-run/react'
import { z } from 'zod'
import { GeneralErrorBoundary } from '~/components/error-boundary'
import { InputError } from '~/core.server'
import { findContact, savePreferences, unsubscribeContact, verifyEmailToken } from '../core.server'
import { fieldErrorsOf, readFormBody } from '~/utils/forms.server'
import { isStorableText } from '#domain/email/contact'

export const meta: MetaFunction = () => [{ title: 'Email preferences' }, { name: 'robots', content: 'noindex' }]

const INVALID = 'This preferences link is not valid: it may be incomplete or altered. Use the link from the most recent email.'
const invalid = () => new Response(INVALID, { status: 400, headers: { 'Content-Type': 'text/plain; charset=utf-8' } })

const PreferencesSchema = z.discriminatedUnion('intent', [
  z.object({ intent: z.literal('save'), name: z.string().trim().max(200, 'Use at most 200 characters').refine(isStorableText, 'Remove the control characters') }),
  z.object({ intent: z.literal('unsubscribe') }),
  z.object({ intent: z.literal('resubscribe') }),
])

/** The preference page (signed link, no session; CSRF-exempt for the same reason as /u/$token). */
export async function loader({ context, params }: LoaderFunctionArgs) {
  const { services } = context
  const claims = verifyEmailToken(services, 'preferences', params.token)
  const contact = claims ? await findContact(services, { workspaceId: claims.workspaceId, contactId: claims.contactId }) : null
  if (!contact) throw invalid()
  return { email: contact.email, name: contact.name ?? '', status: contact.status }
}

export async function action({ request, context, params }: ActionFunctionArgs) {
  const { services } = context
  const claims = verifyEmailToken(services, 'preferences', params.token)
  if (!claims) throw invalid()
  const parsed = PreferencesSchema.safeParse(Object.fromEntries(await readFormBody(request)))
  if (!parsed.success) return data({ fieldErrors: fieldErrorsOf(parsed.error), message: null }, { status: 400 })
  const { workspaceId, contactId } = claims
  if (parsed.data.intent === 'unsubscribe') {
    if (!(await unsubscribeContact(services, { claims, source: 'preferences page' }))) throw invalid()
    return { fieldErrors: {}, message: 'You are unsubscribed from all emails.' }
  }
  const intent = parsed.data
  try {
    const change = intent.intent === 'save' ? { intent: 'save' as const, name: intent.name || null } : { intent: 'resubscribe' as const }
    if (!(await savePreferences(services, { workspaceId, contactId, change }))) throw invalid()
  } catch (error) {
    if (error instanceof InputError) return data({ fieldErrors: {}, message: 'This address cannot be resubscribed because mail to it bounced or was reported as spam.' }, { status: 409 })
    throw error
  }
  return { fieldErrors: {}, message: intent.intent === 'save' ? 'Saved.' : 'You are subscribed again.' }
}

export default function Preferences() {
  const { email, name, status } = useLoaderData<typeof loader>()
  const result = useActionData<typeof action>()
  const errors: Record<string, string | undefined> = result?.fieldErrors ?? {}
  return (
    <Container size={520} py="xl">
      <Stack>
        <Title order={1}>Email preferences</Title>
        <Text>
          {email} · {status === 'subscribed' ? 'subscribed' : status === 'pending' ? 'waiting for confirmation' : 'not receiving emails'}
        </Text>
        {result?.message ? (
          <Alert role="status" color="teal">
            {result.message}
          </Alert>
        ) : null}
        <Form method="post">
          <input type="hidden" name="intent" value="save" />
          <Group align="end">
            <TextInput label="Your name" name="name" defaultValue={name} error={errors.name} />
            <Button type="submit" variant="default">
              Save
            </Button>
          </Group>
        </Form>
        <Form method="post">
          {status === 'subscribed' || status === 'pending' ? (
            <Button type="submit" name="intent" value="unsubscribe" color="red" variant="light">
              Unsubscribe from all emails
            </Button>
          ) : (
            <Button type="submit" name="intent" value="resubscribe">
              Subscribe again
            </Button>
          )}
        </Form>
      </Stack>
    </Container>
  )
}

export function ErrorBoundary() {
  return <GeneralErrorBoundary />
}
