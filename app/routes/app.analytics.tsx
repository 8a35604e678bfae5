import { Anchor, Badge, Card, Group, Progress, Stack, Table, Text, Title } from '@mantine/core'
import type { LoaderFunctionArgs, MetaFunction } from '@remix-run/node'
import { Link, useLoaderData } from '@remix-run/react'
import { GeneralErrorBoundary } from '~/components/error-boundary'
import { DripStepTable } from '~/components/drip-step-table'
import { ScrollTable } from '~/components/scroll-table'
import { listCampaigns, loadAnalytics } from '../core.server'
import { requireMembership } from '~/utils/auth.server'
import { percent } from '~/utils/format'

export const meta: MetaFunction = () => [{ title: 'Analytics · Trickle' }]

export async function loader({ request, context }: LoaderFunctionArgs) {
  const { services } = context
  const { workspace } = await requireMembership(request, services)
  const [analytics, campaigns] = await Promise.all([loadAnalytics(services, { workspaceId: workspace.id }), listCampaigns(services, { workspaceId: workspace.id })])
  return { ...analytics, campaigns }
}

export default function Analytics() {
  const { series, drips, campaigns } = useLoaderData<typeof loader>()
  return (
    <Stack maw={1100}>
      <Title order={1}>Analytics</Title>
      <Title order={2}>Campaigns</Title>
      {campaigns.length === 0 ? (
        <Card withBorder>
          <Text>Give a series and a drip the same campaign name (in their editors) to see one funnel across social posts and email: reach, clicks, enrollments, conversions.</Text>
        </Card>
      ) : (
        <Card withBorder component="ul" aria-label="Campaigns" m={0} pl="xl">
          {campaigns.map((c) => (
            <li key={c.campaign}>
              <Anchor component={Link} to={`/app/analytics/campaigns/${encodeURIComponent(c.campaign)}`}>
                {c.campaign}
              </Anchor>{' '}
              <Text span size="sm" c="dimmed">
                {c.series} series · {c.drips} drips
              </Text>
            </li>
          ))}
        </Card>
      )}
      <Title order={2}>Series</Title>
      {series.length === 0 ? (
        <Card withBorder>
          <Text>
            No series yet. <Anchor component={Link} to="/app/series/new">Create a series</Anchor> and its posts are counted here as they go out.
          </Text>
        </Card>
      ) : (
        series.map((s) => (
          <Card withBorder key={s.id} component="section" aria-labelledby={`series-${s.id}`}>
            <Group justify="space-between">
              <Title order={3} id={`series-${s.id}`}>
                <Anchor component={Link} to={`/app/series/${s.id}`} inherit>
                  {s.name}
                </Anchor>
              </Title>
              <Text size="sm">
                {s.published} published · {s.pending} scheduled · {s.problems} need attention
              </Text>
            </Group>
            <Progress.Root size="lg" mt="xs">
              <Progress.Section value={share(s.published, s)} color="teal" aria-label={`${s.name}: ${percent(s.published, s.published + s.pending + s.problems)} published`} />
              <Progress.Section value={share(s.problems, s)} color="red" aria-label={`${s.name}: ${percent(s.problems, s.published + s.pending + s.problems)} need attention`} />
            </Progress.Root>
            <details>
              <summary>Per post</summary>
              <ScrollTable minWidth={600} label={`Posts of ${s.name}`}>
                <Table aria-label={`Posts of ${s.name}`}>
                  <Table.Thead>
                    <Table.Tr>
                      <Table.Th scope="col">Post</Table.Th>
                      <Table.Th scope="col">When</Table.Th>
                      <Table.Th scope="col">Published</Table.Th>
                      <Table.Th scope="col">Scheduled</Table.Th>
                      <Table.Th scope="col">Need attention</Table.Th>
                      <Table.Th scope="col">Link</Table.Th>
                    </Table.Tr>
                  </Table.Thead>
                  <Table.Tbody>
                    {s.steps.map((step) => (
                      <Table.Tr key={step.position}>
                        <Table.Th scope="row">
                          {step.position + 1}. {step.text.slice(0, 60)}
                        </Table.Th>
                        <Table.Td>{step.when}</Table.Td>
                        <Table.Td>{step.published}</Table.Td>
                        <Table.Td>{step.pending}</Table.Td>
                        <Table.Td>{step.problems ? <Text c="red" inherit>{step.problems}</Text> : 0}</Table.Td>
                        <Table.Td>{step.remoteUrl ? <Anchor href={step.remoteUrl}>View post {step.position + 1}</Anchor> : '—'}</Table.Td>
                      </Table.Tr>
                    ))}
                  </Table.Tbody>
                </Table>
              </ScrollTable>
            </details>
          </Card>
        ))
      )}

      <Title order={2}>Drips</Title>
      {drips.length === 0 ? (
        <Card withBorder>
          <Text>
            No drip yet. <Anchor component={Link} to="/app/drips/new">Create a drip</Anchor> to see sends, opens, clicks and the funnel across its steps.
          </Text>
        </Card>
      ) : (
        drips.map((d) => (
          <Card withBorder key={d.id} component="section" aria-labelledby={`drip-${d.id}`}>
            <Group justify="space-between">
              <Group gap="xs">
                <Title order={3} id={`drip-${d.id}`}>
                  <Anchor component={Link} to={`/app/drips/${d.id}`} inherit>
                    {d.name}
                  </Anchor>
                </Title>
                <Badge color={d.status === 'active' ? 'teal' : 'gray'} variant="light">
                  {d.status === 'active' ? 'Active' : 'Paused'}
                </Badge>
                <Anchor component={Link} to={`/app/drips/${d.id}/analytics`} size="sm" aria-label={`Analytics of ${d.name}`}>
                  Funnel, conversions and daily chart
                </Anchor>
              </Group>
              <Text size="sm" data-drip-totals={d.id}>
                {d.totals.enrolled} enrolled · {d.totals.sent} sent · {percent(d.totals.opened, d.totals.sent)} opened · {percent(d.totals.clicked, d.totals.sent)} clicked · {d.totals.goalReached} reached the goal · {d.totals.unsubscribed} unsubscribed
              </Text>
            </Group>
            <DripStepTable drip={d} label={`Steps of ${d.name}`} compact funnelHeader="Sent of enrolled" />
          </Card>
        ))
      )}
    </Stack>
  )
}

function share(part: number, s: { published: number; pending: number; problems: number }): number {
  const total = s.published + s.pending + s.problems
  return total ? (part / total) * 100 : 0
}

export function ErrorBoundary() {
  return <GeneralErrorBoundary />
}
