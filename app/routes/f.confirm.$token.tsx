import { Alert, Button, Container, Stack, Text, Title } from '@mantine/core'
import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from '@remix-run/node'
import { Form, useActionData, useLoaderData } from '@remix-run/react'
import { GeneralErrorBoundary } from '~/components/error-boundary'
import { confirmSignup, findContact, findSignupFormOfConsent, verifyEmailToken, onContactTrigger } from '../core.server'

export const meta: MetaFunction = () => [{ title: 'Confirm your subscription' }, { name: 'robots', content: 'noindex' }]

const INVALID = 'This confirmation link is not valid or has expired (links work for 7 days). Sign up again to get a new one.'
const invalid = () => new Response(INVALID, { status: 400, headers: { 'Content-Type': 'text/plain; charset=utf-8' } })

/**
 * Double opt-in. GET shows a button and the POST confirms: mail scanners that open every link with
 * GET must not be able to confirm on the person's behalf. Signed link, no session, CSRF-exempt.
 */
export async function loader({ context, params }: LoaderFunctionArgs) {
  const { services } = context
  const claims = verifyEmailToken(services, 'confirm', params.token)
  const contact = claims ? await findContact(services, { workspaceId: claims.workspaceId, contactId: claims.contactId }) : null
  if (!contact) throw invalid()
  return { email: contact.email, confirmed: contact.status === 'subscribed' }
}

export async function action({ context, params }: ActionFunctionArgs) {
  const { services } = context
  const claims = verifyEmailToken(services, 'confirm', params.token)
  if (!claims?.consentId) throw invalid()
  const form = await findSignupFormOfConsent(services, { workspaceId: claims.workspaceId, contactId: claims.contactId, consentId: claims.consentId })
  const contact = await confirmSignup(services, { claims, form })
  if (!contact) throw invalid()
  // Drips triggered by this form (once per consent record, whatever their re-entry policy).
  if (form && contact.status === 'subscribed') {
    await onContactTrigger(services, { workspaceId: claims.workspaceId, contactId: contact.id, trigger: { kind: 'form', formId: form.id, consentId: claims.consentId } })
  }
  return { status: contact.status }
}

export default function ConfirmSubscription() {
  const { email, confirmed } = useLoaderData<typeof loader>()
  const result = useActionData<typeof action>()
  return (
    <Container size={480} py="xl">
      <Stack>
        <Title order={1}>Confirm your subscription</Title>
        {confirmed || result?.status === 'subscribed' ? (
          <Alert color="teal" role="status" title="You are subscribed">
            Thank you: {email} is confirmed.
          </Alert>
        ) : result ? (
          <Alert color="yellow" role="status">
            This address cannot be subscribed right now.
          </Alert>
        ) : (
          <Form method="post">
            <Stack>
              <Text>Subscribe {email}?</Text>
              <Button type="submit">Yes, subscribe me</Button>
            </Stack>
          </Form>
        )}
      </Stack>
    </Container>
  )
}

export function ErrorBoundary() {
  return <GeneralErrorBoundary />
}
