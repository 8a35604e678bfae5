import { Anchor, Card, List, Stack, Text, Title } from '@mantine/core'
import { Link, useRouteLoaderData } from '@remix-run/react'
import type { loader as appLoader } from './app'

/** Placeholder dashboard until series and drips exist: it points at the next useful steps. */
export default function Dashboard() {
  const shell = useRouteLoaderData<typeof appLoader>('routes/app')
  return (
    <Stack maw={720}>
      <Title order={1}>{shell?.workspace.name ?? 'Dashboard'}</Title>
      <Text>
        Welcome{shell ? `, ${shell.user.name}` : ''}. You are {shell?.role === 'owner' ? 'an' : 'a'} {shell?.role} of this workspace.
      </Text>
      <Card withBorder>
        <Title order={2} size="h4" mb="xs">
          Next steps
        </Title>
        <List spacing="xs">
          {shell?.role === 'owner' ? (
            <List.Item>
              <Anchor component={Link} to="/app/settings/invitations">
                Invite your team
              </Anchor>{' '}
              with a link that gives them a role.
            </List.Item>
          ) : null}
          <List.Item>
            <Anchor component={Link} to="/app/settings/workspace">
              Set the workspace time zone
            </Anchor>{' '}
            so schedules read in your local time.
          </List.Item>
          <List.Item>
            <Anchor component={Link} to="/app/settings/tokens">
              Create an API token
            </Anchor>{' '}
            to script Trickle (the API is described at{' '}
            <Anchor href="/api/v1/openapi.json">/api/v1/openapi.json</Anchor>).
          </List.Item>
        </List>
      </Card>
    </Stack>
  )
}
