import { Alert, AppShell, Anchor, Burger, Button, Group, NativeSelect, NavLink, ScrollArea, Text, VisuallyHidden } from '@mantine/core'
import { useDisclosure } from '@mantine/hooks'
import { data, type ActionFunctionArgs, type LinksFunction, type LoaderFunctionArgs } from '@remix-run/node'
import { Form, Link, Outlet, useLoaderData, useLocation } from '@remix-run/react'
import { useEffect } from 'react'
import { z } from 'zod'
import appShellStyles from '~/styles/app-shell.css'
import { CsrfInput } from '~/components/csrf-input'
import { LocalTime } from '~/components/time'
import { GeneralErrorBoundary } from '~/components/error-boundary'
import { notFound, requireMembership, requireUser } from '~/utils/auth.server'
import { issueCsrfToken } from '~/utils/csrf.server'
import { readForm } from '~/utils/forms.server'
import { switchSessionWorkspace } from '~/utils/session.server'
import { redirectWithToast } from '~/utils/toast.server'
import { OVERDUE_ALERT_MS, findOverdueDelivery, findUserMembership, listUserWorkspaces, preferencesOf } from '../core.server'

export const links: LinksFunction = () => [{ rel: 'stylesheet', href: appShellStyles }]

/** The signed-in shell: every /app page is rendered inside it and can rely on its loader's `csrfToken`. */
export async function loader({ request, context }: LoaderFunctionArgs) {
  const { services } = context
  const { user, workspace, membership } = await requireMembership(request, services)
  const workspaces = await listUserWorkspaces(services, { userId: user.id })
  const { csrfToken, headers } = await issueCsrfToken(request, services)
  const overdue = await findOverdueDelivery(services, { workspaceId: workspace.id })
  return data(
    {
      csrfToken,
      user: { id: user.id, name: user.name, email: user.email },
      workspace: { id: workspace.id, name: workspace.name, timezone: workspace.timezone },
      /** The person's clock and first weekday (their locale setting, else their browser's): app/components/time.tsx. */
      preferences: preferencesOf(user, request.headers.get('accept-language')),
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
  const membership = await findUserMembership(services, { workspaceId: form.data.workspaceId, userId: user.id })
  if (!membership) throw notFound('No such workspace')
  await switchSessionWorkspace(services, { idHash: session.idHash, workspaceId: membership.workspaceId })
  const target = (await listUserWorkspaces(services, { userId: user.id })).find((w) => w.workspaceId === membership.workspaceId)
  return redirectWithToast(services, '/app', { kind: 'info', message: `You are now in ${target?.name ?? 'the other workspace'}.` })
}

type NavItem = { to: string; label: string }

/** The main navigation: single items and labelled areas. */
const NAV: Array<NavItem | { area: string; items: NavItem[] }> = [
  { to: '/app', label: 'Dashboard' },
  { to: '/app/series', label: 'Series' },
  { to: '/app/calendar', label: 'Calendar' },
  {
    area: 'Drips',
    items: [
      { to: '/app/drips', label: 'Drips' },
      { to: '/app/drips/new', label: 'New drip' },
    ],
  },
  {
    area: 'Audience',
    items: [
      { to: '/app/contacts', label: 'Contacts' },
      { to: '/app/contacts/segments', label: 'Segments' },
      { to: '/app/contacts/forms', label: 'Signup forms' },
      { to: '/app/contacts/fields', label: 'Fields' },
      { to: '/app/contacts/score-rules', label: 'Score rules' },
      { to: '/app/contacts/sender', label: 'Email sender' },
    ],
  },
  { to: '/app/analytics', label: 'Analytics' },
  { to: '/app/accounts', label: 'Accounts' },
  { to: '/app/settings', label: 'Settings' },
]

const NAV_ITEMS = NAV.flatMap((entry) => ('area' in entry ? entry.items : [entry]))

/** The item a page belongs to: the longest `to` the path is, or is under (`/app` only for itself). */
function activeNavItem(pathname: string): string | null {
  const path = pathname.replace(/\/+$/, '') || '/'
  let best: string | null = null
  for (const { to } of NAV_ITEMS) {
    const matches = path === to || (to !== '/app' && path.startsWith(`${to}/`))
    if (matches && (!best || to.length > best.length)) best = to
  }
  return best
}

function NavItemLink({ item, active }: { item: NavItem; active: string | null }) {
  const current = item.to === active
  return <NavLink component={Link} to={item.to} label={item.label} active={current} aria-current={current ? 'page' : undefined} />
}

export default function AppLayout() {
  const { user, workspace, workspaces, role, overdueSince } = useLoaderData<typeof loader>()
  const [opened, { toggle, close }] = useDisclosure(false)
  const { pathname } = useLocation()
  const active = activeNavItem(pathname)
  // A phone's menu closes once a link was followed.
  useEffect(() => close(), [pathname, close])
  return (
    <AppShell header={{ height: 60 }} navbar={{ width: 200, breakpoint: 'sm', collapsed: { mobile: !opened } }} padding="md">
      <AppShell.Header>
        <Group h="100%" px="md" justify="space-between" wrap="nowrap">
          <Group gap="sm" wrap="nowrap">
            <Burger opened={opened} onClick={toggle} hiddenFrom="sm" size="sm" aria-label={opened ? 'Close the menu' : 'Open the menu'} aria-expanded={opened} aria-controls="main-navigation" />
            <Anchor component={Link} to="/app" fw={700}>
              Trickle
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
              <Text size="sm" fw={500} visibleFrom="xs">
                {workspace.name}
              </Text>
            )}
            <Text size="sm" c="dimmed" visibleFrom="sm">
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
      <AppShell.Navbar p="xs" id="main-navigation" className="app-navbar" data-menu-closed={opened ? undefined : true}>
        <AppShell.Section grow component={ScrollArea}>
          <nav aria-label="Main">
            {NAV.map((entry) =>
              'area' in entry ? (
                <div key={entry.area} role="group" aria-labelledby={`nav-area-${entry.area}`}>
                  <Text id={`nav-area-${entry.area}`} size="xs" fw={700} c="dimmed" tt="uppercase" px="sm" pt="sm" pb={4}>
                    {entry.area}
                  </Text>
                  {entry.items.map((item) => (
                    <NavItemLink key={item.to} item={item} active={active} />
                  ))}
                </div>
              ) : (
                <NavItemLink key={entry.to} item={entry} active={active} />
              ),
            )}
          </nav>
        </AppShell.Section>
      </AppShell.Navbar>
      <AppShell.Main>
        {overdueSince ? (
          <Alert color="red" title="Posts are not going out" role="alert" mb="md">
            A post due at <LocalTime at={overdueSince} /> has not started yet. Check that a Trickle worker is running
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
