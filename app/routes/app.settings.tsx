import { Button, Group, Stack, Title } from '@mantine/core'
import { Link, Outlet, useLocation, useRouteLoaderData } from '@remix-run/react'
import type { loader as appLoader } from './app'

export default function SettingsLayout() {
  const shell = useRouteLoaderData<typeof appLoader>('routes/app')
  const { pathname } = useLocation()
  const sections = [
    { path: 'workspace', label: 'Workspace' },
    { path: 'members', label: 'Members' },
    ...(shell?.role === 'owner' ? [{ path: 'invitations', label: 'Invitations' }] : []),
    { path: 'tokens', label: 'API tokens' },
    { path: 'notifications', label: 'Notifications' },
    { path: 'sms', label: 'SMS' },
    { path: 'mail', label: 'Direct mail' },
    { path: 'security', label: 'Security' },
    { path: 'preferences', label: 'Your preferences' },
    ...(shell?.role === 'owner' ? [{ path: 'audit', label: 'Audit log' }] : []),
  ]
  return (
    <Stack maw={860}>
      <Title order={1}>Settings</Title>
      <Group component="nav" aria-label="Settings sections" gap="xs">
        {sections.map((section) => {
          const to = `/app/settings/${section.path}`
          const active = pathname === to
          return (
            <Button key={section.path} component={Link} to={to} variant={active ? 'light' : 'subtle'} aria-current={active ? 'page' : undefined}>
              {section.label}
            </Button>
          )
        })}
      </Group>
      <Outlet />
    </Stack>
  )
}
