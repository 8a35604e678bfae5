import { Alert, Button, Container, Stack, Text, Title } from '@mantine/core'
import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from '@remix-run/node'
import { Form, useActionData, useLoaderData } from '@remix-run/react'
import { GeneralErrorBoundary } from '~/components/error-boundary'
import { findContact, signedEmailUrl, unsubscribeContact, verifyEmailToken } from '../core.server'

export const meta: MetaFunction = () => [{ title: 'Unsubscribe' }, { name: 'robots', content: 'noindex' }]

const INVALID = 'This unsubscribe link is not valid: it may be incomplete or altered. Use the link from the most recent email, or reply to it and ask to be removed.'

function invalid(): Response {
  return new Response(INVALID, { status: 400, headers: { 'Content-Type': 'text/plain; charset=utf-8' } })
}

/**
 * The unsubscribe page and the RFC 8058 one-click endpoint. No session, no cookies, no CSRF token:
 * the signed token names the contact, and the request only ever removes them from mailing (a forged
 * cross-site POST could at worst unsubscribe the person the link was sent to, which is its purpose).
 * Mail clients POST `List-Unsubscribe=One-Click`; the page's button POSTs the same way.
 */
export async function loader({ context, params }: LoaderFunctionArgs) {
  const { services } = context
  const claims = verifyEmailToken(services, 'unsubscribe', params.token)
  if (!claims) throw invalid()
  const contact = await findContact(services, { workspaceId: claims.workspaceId, contactId: claims.contactId })
  if (!contact) throw invalid()
  return { email: contact.email, unsubscribed: contact.status !== 'subscribed' && contact.status !== 'pending', preferencesUrl: signedEmailUrl(services, 'preferences', claims) }
}

export async function action({ context, params }: ActionFunctionArgs) {
  const { services } = context
  const claims = verifyEmailToken(services, 'unsubscribe', params.token)
  if (!claims) throw invalid()
  const contact = await unsubscribeContact(services, { claims, source: 'unsubscribe link' })
  if (!contact) throw invalid()
  return { done: true, email: contact.email }
}

export default function Unsubscribe() {
  const { email, unsubscribed, preferencesUrl } = useLoaderData<typeof loader>()
  const result = useActionData<typeof action>()
  return (
    <Container size={520} py="xl">
      <Stack>
        <Title order={1}>Unsubscribe</Title>
        {result?.done || unsubscribed ? (
          <Alert color="teal" role="status" title="You are unsubscribed">
            <Text>{email} will not receive any more emails from us.</Text>
          </Alert>
        ) : (
          <Form method="post">
            <Stack>
              <Text>{`Stop all emails to ${email}?`}</Text>
              <input type="hidden" name="List-Unsubscribe" value="One-Click" />
              <Button type="submit">Unsubscribe</Button>
            </Stack>
          </Form>
        )}
        <Text size="sm">
          <a href={preferencesUrl}>Email preferences</a>
        </Text>
      </Stack>
    </Container>
  )
}

export function ErrorBoundary() {
  return <GeneralErrorBoundary />
}
