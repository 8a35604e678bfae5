import { Alert, Anchor, Container, Stack, Text, Title } from '@mantine/core'
import { data, redirect, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node'
import { Link, useLoaderData } from '@remix-run/react'
import { GeneralErrorBoundary } from '~/components/error-boundary'
import { clearPendingCookie, completeConnection } from '~/utils/accounts.server'
import { InputError } from '../core.server'
import { requireMembership } from '~/utils/auth.server'

export const meta: MetaFunction = () => [{ title: 'Connecting an account · Trickle' }]

/**
 * Where a network sends the user back after they authorized Trickle (the OAuth redirect URI,
 * `<APP_URL>/oauth/<kind>/callback`). The pending authorization is removed whatever the outcome.
 */
export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const { services } = context
  const { user, session, workspace } = await requireMembership(request, services, { role: 'editor' })
  const headers = { 'Set-Cookie': await clearPendingCookie(services) }
  try {
    const account = await completeConnection(services, {
      request,
      kind: params.kind ?? '',
      workspaceId: workspace.id,
      userId: user.id,
      sessionIdHash: session.idHash,
    })
    return redirect(`/app/accounts?connected=${account.id}`, { headers })
  } catch (error) {
    if (!(error instanceof InputError)) throw error
    return data({ message: error.message }, { status: error.status, headers })
  }
}

export default function OAuthCallback() {
  const { message } = useLoaderData<typeof loader>()
  return (
    <Container size="sm" py="xl">
      <Stack>
        <Title order={1}>The account was not connected</Title>
        <Alert color="yellow" role="alert" title="Start the connection again">
          <Text>{message}</Text>
        </Alert>
        <Anchor component={Link} to="/app/accounts">
          Back to Accounts
        </Anchor>
      </Stack>
    </Container>
  )
}

export function ErrorBoundary() {
  return <GeneralErrorBoundary />
}
