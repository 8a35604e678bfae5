import { Anchor, Badge, Button, Group, Stack, Table, Text, TextInput } from '@mantine/core'
import type { LoaderFunctionArgs, MetaFunction } from '@remix-run/node'
import { Form, Link, useLoaderData } from '@remix-run/react'
import { EmptyState, ListHeader, Pager, TableHead } from '~/components/list-page'
import { requireMembership } from '~/utils/auth.server'
import { readQueryParam } from '~/utils/forms.server'
import { decayedScore, displayScore } from '#domain/email/score'
import { countWorkspaceContacts, listContactsPage } from '../core.server'

export const meta: MetaFunction = () => [{ title: 'Contacts · Trickle' }]

const PAGE = 50

export async function loader({ request, context }: LoaderFunctionArgs) {
  const { services } = context
  const { workspace } = await requireMembership(request, services)
  const url = new URL(request.url)
  const search = readQueryParam(request, 'q', { max: 200 })
  const page = Math.max(0, Math.min(100_000, Number(url.searchParams.get('page')) || 0))
  const [{ contacts, halfLifeDays }, total] = await Promise.all([
    listContactsPage(services, { workspaceId: workspace.id, search, limit: PAGE + 1, offset: page * PAGE }),
    countWorkspaceContacts(services, { workspaceId: workspace.id }),
  ])
  const now = services.clock.now()
  return {
    search,
    page,
    total,
    hasMore: contacts.length > PAGE,
    contacts: contacts.slice(0, PAGE).map((c) => ({
      id: c.id,
      email: c.email,
      name: c.name,
      status: c.status,
      tags: c.tags,
      score: displayScore(decayedScore({ stored: { score: c.leadScore, at: c.leadScoreAt }, now, halfLifeDays })),
    })),
  }
}

export default function Contacts() {
  const { contacts, search, page, total, hasMore } = useLoaderData<typeof loader>()
  return (
    <Stack>
      <ListHeader title="Contacts">
        <Button component={Link} to="/app/contacts/import" variant="default">
          Import CSV
        </Button>
        <Button component="a" href="/app/contacts/export" variant="default">
          Export CSV
        </Button>
        <Button component={Link} to="/app/contacts/forms" variant="default">
          Signup forms
        </Button>
        <Button component={Link} to="/app/contacts/fields" variant="default">
          Custom fields
        </Button>
        <Button component={Link} to="/app/contacts/segments" variant="default">
          Segments
        </Button>
      </ListHeader>
      <Form method="get" role="search">
        <Group align="end">
          <TextInput label="Search by email or name" name="q" defaultValue={search} />
          <Button type="submit">Search</Button>
        </Group>
      </Form>
      <Text c="dimmed">{total} contacts in this workspace</Text>
      {contacts.length === 0 ? (
        <EmptyState>{search ? 'No contact matches.' : 'No contacts yet: import a CSV, add a signup form, or send events through the API.'}</EmptyState>
      ) : (
        <Table.ScrollContainer minWidth={560} type="native">
          <Table>
          <TableHead columns={['Email', 'Name', 'Status', 'Tags', 'Score']} />
          <Table.Tbody>
            {contacts.map((c) => (
              <Table.Tr key={c.id}>
                <Table.Td>
                  <Anchor component={Link} to={`/app/contacts/${c.id}`}>
                    {c.email}
                  </Anchor>
                </Table.Td>
                <Table.Td>{c.name}</Table.Td>
                <Table.Td>
                  <Badge variant="light" color={c.status === 'subscribed' ? 'teal' : 'gray'}>
                    {c.status}
                  </Badge>
                </Table.Td>
                <Table.Td>{c.tags.join(', ')}</Table.Td>
                <Table.Td>{c.score}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
      <Pager
        label="Pages of contacts"
        previous={page > 0 ? { to: `?${new URLSearchParams({ q: search, page: String(page - 1) })}`, label: 'Previous' } : null}
        next={hasMore ? { to: `?${new URLSearchParams({ q: search, page: String(page + 1) })}`, label: 'Next' } : null}
      />
    </Stack>
  )
}
