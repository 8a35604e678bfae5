import { Badge, Button, Card, Group, List, Stack, Table, Text, Title } from '@mantine/core'
import type { LoaderFunctionArgs, MetaFunction } from '@remix-run/node'
import { Link, useLoaderData } from '@remix-run/react'
import { GeneralErrorBoundary } from '~/components/error-boundary'
import { ScrollTable } from '~/components/scroll-table'
import { requireMembership } from '~/utils/auth.server'
import { describeTrigger } from '#core/drip-form'
import { listDrips, loadDripEditorOptions } from '../core.server'
import { percent } from '~/utils/format'

export const meta: MetaFunction = () => [{ title: 'Drips · Trickle' }]

export async function loader({ request, context }: LoaderFunctionArgs) {
  const { services } = context
  const { workspace } = await requireMembership(request, services)
  const [drips, options] = await Promise.all([listDrips(services, { workspaceId: workspace.id }), loadDripEditorOptions(services, { workspaceId: workspace.id })])
  const names = new Map([...options.forms, ...options.segments, ...options.dateFields].map((o) => [o.value, o.label]))
  return {
    drips: drips.map((d) => ({
      id: d.id,
      name: d.name,
      status: d.draft ? ('draft' as const) : d.status,
      triggers: d.settings.triggers.map((t) => describeTrigger(t, names)),
      steps: d.stepCount,
      ...d.totals,
    })),
  }
}

const STATUS = { draft: { label: 'Draft', color: 'blue' }, active: { label: 'Active', color: 'teal' }, paused: { label: 'Paused', color: 'gray' } } as const

export default function DripList() {
  const { drips } = useLoaderData<typeof loader>()
  return (
    <Stack maw={1100}>
      <Group justify="space-between">
        <Title order={1}>Drips</Title>
        <Button component={Link} to="/app/drips/new">
          New drip
        </Button>
      </Group>
      {drips.length === 0 ? (
        <Card withBorder>
          <Text>No drip yet. A drip sends a course of emails to each contact who enters it: a welcome series after a signup form, a follow-up after a purchase event, a yearly birthday email.</Text>
          <Button component={Link} to="/app/drips/new" mt="sm" w="fit-content">
            Create your first drip
          </Button>
        </Card>
      ) : (
        <ScrollTable minWidth={960} label="Drips">
          <Table aria-label="Drips">
            <Table.Thead>
              <Table.Tr>
                <Table.Th scope="col">Name</Table.Th>
                <Table.Th scope="col">Status</Table.Th>
                <Table.Th scope="col">Enters when</Table.Th>
                <Table.Th scope="col">Steps</Table.Th>
                <Table.Th scope="col">Enrolled</Table.Th>
                <Table.Th scope="col">Active</Table.Th>
                <Table.Th scope="col">Completed</Table.Th>
                <Table.Th scope="col">Goal reached</Table.Th>
                <Table.Th scope="col">Sent, last 7 days</Table.Th>
                <Table.Th scope="col">Opened</Table.Th>
                <Table.Th scope="col">Clicked</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {drips.map((d) => (
                <Table.Tr key={d.id}>
                  <Table.Th scope="row">
                    <Link to={`/app/drips/${d.id}`}>{d.name}</Link>
                  </Table.Th>
                  <Table.Td>
                    <Badge color={STATUS[d.status].color} variant="light">
                      {STATUS[d.status].label}
                    </Badge>
                  </Table.Td>
                  <Table.Td>
                    {d.triggers.length === 1 ? (
                      d.triggers[0]
                    ) : (
                      <List size="sm">
                        {d.triggers.map((t) => (
                          <List.Item key={t}>{t}</List.Item>
                        ))}
                      </List>
                    )}
                  </Table.Td>
                  <Table.Td>{d.steps}</Table.Td>
                  <Table.Td>{d.enrolled}</Table.Td>
                  <Table.Td>{d.active}</Table.Td>
                  <Table.Td>{d.completed}</Table.Td>
                  <Table.Td>{d.goalReached}</Table.Td>
                  <Table.Td>{d.sentLast7Days}</Table.Td>
                  <Table.Td>{percent(d.opened, d.sent)}</Table.Td>
                  <Table.Td>{percent(d.clicked, d.sent)}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </ScrollTable>
      )}
    </Stack>
  )
}

export function ErrorBoundary() {
  return <GeneralErrorBoundary />
}
