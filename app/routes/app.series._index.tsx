import { Button, SegmentedControl, Stack, Table, Text } from '@mantine/core'
import type { LoaderFunctionArgs, MetaFunction } from '@remix-run/node'
import { Link, useLoaderData, useNavigate } from '@remix-run/react'
import { ScrollTable } from '~/components/scroll-table'
import { ApprovalBadge } from '~/components/approval-badge'
import { GeneralErrorBoundary } from '~/components/error-boundary'
import { EmptyState, ListHeader, TableHead } from '~/components/list-page'
import { seriesRunState } from '#domain/series-state'
import { requireMembership } from '~/utils/auth.server'
import { describeSeriesRule, listSeriesSummaries } from '../core.server'
import { LocalTime } from '~/components/time'

const RUN_STATE_LABEL = { active: 'Active', paused: 'Paused', finished: 'Finished' } as const

export const meta: MetaFunction = () => [{ title: 'Series · Trickle' }]

export async function loader({ request, context }: LoaderFunctionArgs) {
  const { services } = context
  const { workspace } = await requireMembership(request, services)
  const all = await listSeriesSummaries(services, { workspaceId: workspace.id })
  // ?approval=pending lists only the series waiting for an owner's approval ("Needs approval").
  const filter = new URL(request.url).searchParams.get('approval') === 'pending' ? 'pending' : 'all'
  const series = filter === 'pending' ? all.filter((s) => s.approval === 'pending_approval') : all
  return {
    filter,
    needsApproval: all.filter((s) => s.approval === 'pending_approval').length,
    series: series.map((s) => ({
      approval: s.approval,
      id: s.id,
      name: s.name,
      status: s.status,
      state: seriesRunState(s),
      text: describeSeriesRule(s, Math.max(1, s.steps)),
      timezone: s.timezone,
      steps: s.steps,
      published: s.counts.published ?? 0,
      problems: (s.counts.failed ?? 0) + (s.counts.missed ?? 0) + (s.counts.needs_review ?? 0),
      next: s.nextDueAt?.toISOString() ?? null,
    })),
  }
}

export default function SeriesList() {
  const { series, filter, needsApproval } = useLoaderData<typeof loader>()
  const navigate = useNavigate()
  return (
    <Stack maw={1000}>
      <ListHeader title="Series">
        <Button component={Link} to="/app/series/new">
          New series
        </Button>
      </ListHeader>
      <Text size="sm">
        <Link to="/app/series/media">Media library</Link> · <Link to="/app/series/hashtags">Hashtag groups</Link>
      </Text>
      <SegmentedControl
        aria-label="Show"
        w="fit-content"
        value={filter}
        onChange={(value) => navigate(value === 'pending' ? '?approval=pending' : '.')}
        data={[
          { value: 'all', label: 'All series' },
          { value: 'pending', label: `Needs approval (${needsApproval})` },
        ]}
      />
      {series.length === 0 && filter === 'pending' ? (
        <EmptyState>No series waits for approval.</EmptyState>
      ) : series.length === 0 ? (
        <EmptyState>No series yet. Create one: write the posts, pick the accounts and a rule like “every Tuesday and Thursday at 9:00”.</EmptyState>
      ) : (
        <ScrollTable minWidth={720} label="Series">
          <Table aria-label="Series">
            <TableHead columns={['Name', 'When', 'Posts', 'Next', 'Status']} />
            <Table.Tbody>
              {series.map((s) => (
                <Table.Tr key={s.id}>
                  <Table.Th scope="row">
                    <Link to={`/app/series/${s.id}`}>{s.name}</Link>
                  </Table.Th>
                  <Table.Td>
                    {s.text} ({s.timezone})
                  </Table.Td>
                  <Table.Td>
                    {s.published}/{s.steps} published
                  </Table.Td>
                  <Table.Td>
                    <LocalTime at={s.next} zone={s.timezone} />
                  </Table.Td>
                  <Table.Td>
                    {s.approval === 'approved' ? RUN_STATE_LABEL[s.state] : <ApprovalBadge approval={s.approval} size="sm" />}
                    {s.problems ? <Text c="red" size="sm">{s.problems} need attention</Text> : null}
                  </Table.Td>
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
