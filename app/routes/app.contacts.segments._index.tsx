import { Anchor, Button, Stack, Table, Text } from '@mantine/core'
import { type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node'
import { Link, useLoaderData } from '@remix-run/react'
import { GeneralErrorBoundary } from '~/components/error-boundary'
import { EmptyState, ListHeader, TableHead } from '~/components/list-page'
import { requireMembership, roleAtLeast } from '~/utils/auth.server'
import { listSegments } from '../core.server'

export const meta: MetaFunction = () => [{ title: 'Segments · Trickle' }]

export async function loader({ request, context }: LoaderFunctionArgs) {
  const { services } = context
  const { workspace, membership } = await requireMembership(request, services)
  const segments = await listSegments(services, { workspaceId: workspace.id })
  return { segments: segments.map((s) => ({ id: s.id, name: s.name, memberCount: s.memberCount, usedBy: s.usedBy })), canEdit: roleAtLeast(membership.role, 'editor') }
}

export default function Segments() {
  const { segments, canEdit } = useLoaderData<typeof loader>()
  return (
    <Stack>
      <ListHeader title="Segments">
        <Button component={Link} to="/app/contacts" variant="default">
          All contacts
        </Button>
        {canEdit ? (
          <Button component={Link} to="/app/contacts/segments/new">
            New segment
          </Button>
        ) : null}
      </ListHeader>
      <Text c="dimmed">Saved rules over your contacts (fields, tags, score, status, events and email activity). Drips can start when a contact enters one, or check one before a step.</Text>
      {segments.length === 0 ? (
        <EmptyState>No segments yet.</EmptyState>
      ) : (
        <Table.ScrollContainer minWidth={560} type="native">
          <Table>
            <TableHead columns={['Name', 'Members', 'Used by drips']} />
            <Table.Tbody>
              {segments.map((s) => (
                <Table.Tr key={s.id}>
                  <Table.Td>
                    <Anchor component={Link} to={`/app/contacts/segments/${s.id}`}>
                      {s.name}
                    </Anchor>
                  </Table.Td>
                  <Table.Td>{s.memberCount}</Table.Td>
                  <Table.Td>
                    {s.usedBy.length === 0
                      ? '—'
                      : s.usedBy.map((d, i) => (
                          <span key={`${d.id}-${d.as}`}>
                            {i > 0 ? ', ' : ''}
                            <Anchor component={Link} to={`/app/drips/${d.id}`}>
                              {d.name}
                            </Anchor>{' '}
                            ({d.as})
                          </span>
                        ))}
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
    </Stack>
  )
}

export function ErrorBoundary() {
  return <GeneralErrorBoundary />
}
