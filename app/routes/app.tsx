import { Alert, AppShell, Anchor, Button, Group, NativeSelect, Text, VisuallyHidden } from '@mantine/core'
import { data, redirect, type ActionFunctionArgs, type LoaderFunctionArgs } from '@remix-run/node'
import { Form, Link, Outlet, useLoaderData } from '@remix-run/react'
import { z } from 'zod'
import { CsrfInput } from '~/components/csrf-input'
import { GeneralErrorBoundary } from '~/components/error-boundary'
import { oldestOverdueDelivery } from '../../db/queries/deliveries'
import { getMembershipOfUser, listWorkspacesOfUser } from '../../db/queries/workspaces'
import { OVERDUE_ALERT_MS } from '~/utils/health.server'
import { notFound, requireMembership, requireUser } from '~/utils/auth.server'
import { issueCsrfToken } from '~/utils/csrf.server'
import { readForm } from '~/utils/forms.server'
import { switchSessionWorkspace } from '~/utils/session.server'

/** The signed-in shell: every /app page is rendered inside it and can rely on its loader's `csrfToken`. */
export async function loader({ request, context }: LoaderFunctionArgs) {
  const { services } = context
  const { user, workspace, membership } = await requireMembership(request, services)
  const workspaces = await listWorkspacesOfUser(services.database.db, { userId: user.id })
  const { csrfToken, headers } = await issueCsrfToken(request, services)
  const overdue = await oldestOverdueDelivery(services.database.db, services.clock.now(), { workspaceId: workspace.id })
  return data(
    {
      csrfToken,
      user: { id: user.id, name: user.name, email: user.email },
      workspace: { id: workspace.id, name: workspace.name },
      role: membership.role,
      workspaces: workspaces.map((w) => ({ id: w.workspaceId, name: w.name })),
      /** A due post that has not started within 2 minutes: the worker is down or overloaded. */
      overdueSince: overdue && overdue.overdueMs > OVERDUE_ALERT_MS ? overdue.nextAttemptAt.toISOString() : null,
    },
    { headers },
  )
}

const SwitchSchema = z.object({ intent: z.literal('switch-workspace'), workspaceId: z.uuid('Choose a workspace') })

export async function action({ request, context }: ActionFunctionArgs) {
  const { services } = context
  const { user, session } = await requireUser(request, services)
  const form = await readForm(request, services, SwitchSchema)
  if (!form.ok) throw new Response(Object.values(form.fieldErrors).join(' '), { status: 400 })
  const membership = await getMembershipOfUser(services.database.db, { workspaceId: form.data.workspaceId, userId: user.id })
  if (!membership) throw notFound('No such workspace')
  await switchSessionWorkspace(services, { idHash: session.idHash, workspaceId: membership.workspaceId })
  return redirect('/app')
}

export default function AppLayout() {
  const { user, workspace, workspaces, role, overdueSince } = useLoaderData<typeof loader>()
  return (
    <AppShell header={{ height: 60 }} padding="md">
      <AppShell.Header>
        <Group h="100%" px="md" justify="space-between" wrap="nowrap">
          <Group component="nav" aria-label="Main" gap="md">
            <Anchor component={Link} to="/app" fw={700}>
              Trickle
            </Anchor>
            <Anchor component={Link} to="/app/series">
              Series
            </Anchor>
            <Anchor component={Link} to="/app/calendar">
              Calendar
            </Anchor>
            <Anchor component={Link} to="/app/contacts">
              Contacts
            </Anchor>
            <Anchor component={Link} to="/app/accounts">
              Accounts
            </Anchor>
            <Anchor component={Link} to="/app/settings">
              Settings
            </Anchor>
          </Group>
          <Group gap="sm" wrap="nowrap">
            {workspaces.length > 1 ? (
              <Form method="post" action="/app">
                <CsrfInput />
                <input type="hidden" name="intent" value="switch-workspace" />
                <Group gap={4} wrap="nowrap">
                  <NativeSelect
                    aria-label="Current workspace"
                    name="workspaceId"
                    defaultValue={workspace.id}
                    data={workspaces.map((w) => ({ value: w.id, label: w.name }))}
                  />
                  <Button type="submit" variant="default" size="sm">
                    Switch
                  </Button>
                </Group>
              </Form>
            ) : (
              <Text size="sm" fw={500}>
                {workspace.name}
              </Text>
            )}
            <Text size="sm" c="dimmed">
              {user.name} <VisuallyHidden>({role})</VisuallyHidden>
            </Text>
            <Form method="post" action="/logout">
              <CsrfInput />
              <Button type="submit" variant="subtle" size="sm">
                Log out
              </Button>
            </Form>
          </Group>
        </Group>
      </AppShell.Header>
      <AppShell.Main>
        {overdueSince ? (
          <Alert color="red" title="Posts are not going out" role="alert" mb="md">
            A post due at {new Date(overdueSince).toUTCString()} has not started yet. Check that a Trickle worker is running
            (see /healthz); nothing is lost — due posts go out as soon as a worker runs, or are marked missed if they are too late.
          </Alert>
        ) : null}
        <Outlet />
      </AppShell.Main>
    </AppShell>
  )
}

export function ErrorBoundary() {
  return <GeneralErrorBoundary />
}
