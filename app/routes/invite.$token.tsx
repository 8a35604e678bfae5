import { Button, Container, Group, Stack, Text, Title } from '@mantine/core'
import { data, redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node'
import { Form, Link, useLoaderData, useLocation } from '@remix-run/react'
import { z } from 'zod'
import { CsrfInput } from '~/components/csrf-input'
import { GeneralErrorBoundary } from '~/components/error-boundary'
import { notFound, requireUser } from '~/utils/auth.server'
import { issueCsrfToken } from '~/utils/csrf.server'
import { readForm } from '~/utils/forms.server'
import { hashSecret, readSession, switchSessionWorkspace } from '~/utils/session.server'
import { findInvitation, joinWorkspace } from '../core.server'
import { roleWithArticle } from '#domain/roles'

export const meta: MetaFunction = () => [{ title: 'Invitation · Trickle' }]

const GONE = 'This invitation link is not valid: it was already used, revoked, or it expired. Ask the workspace owner for a new link.'

export async function loader({ request, context, params }: LoaderFunctionArgs) {
  const { services } = context
  const invitation = await findInvitation(services, { tokenHash: hashSecret(params.token ?? '') })
  if (!invitation) throw notFound(GONE)
  const signedIn = (await readSession(request, services)) !== null
  const { csrfToken, headers } = await issueCsrfToken(request, services)
  return data({ csrfToken, signedIn, workspaceName: invitation.workspaceName, role: invitation.role }, { headers })
}

export async function action({ request, context, params }: ActionFunctionArgs) {
  const { services } = context
  const { user, session } = await requireUser(request, services)
  await readForm(request, services, z.object({}))
  const accepted = await joinWorkspace(services, { tokenHash: hashSecret(params.token ?? ''), userId: user.id })
  if (!accepted) throw notFound(GONE)
  await switchSessionWorkspace(services, { idHash: session.idHash, workspaceId: accepted.workspaceId })
  return redirect('/app')
}

export default function Invitation() {
  const { signedIn, workspaceName, role } = useLoaderData<typeof loader>()
  const here = useLocation().pathname
  return (
    <Container size={520} py="xl">
      <Stack>
        <Title order={1}>Join {workspaceName}</Title>
        <Text>
          You are invited to the Trickle workspace <strong>{workspaceName}</strong> as {roleWithArticle(role).split(' ')[0]} <strong>{role}</strong>.
        </Text>
        {signedIn ? (
          <Form method="post">
            <CsrfInput />
            <Button type="submit">Join {workspaceName}</Button>
          </Form>
        ) : (
          <InviteAuthLinks here={here} />
        )}
      </Stack>
    </Container>
  )
}

function InviteAuthLinks({ here }: { here: string }) {
  const query = `?${new URLSearchParams({ redirectTo: here })}`
  return (
    <Stack>
      <Text>Log in or create an account first; you will come back here to join.</Text>
      <Group>
        <Button component={Link} to={`/signup${query}`}>
          Create an account
        </Button>
        <Button component={Link} to={`/login${query}`} variant="default">
          Log in
        </Button>
      </Group>
    </Stack>
  )
}

export function ErrorBoundary() {
  return <GeneralErrorBoundary />
}
