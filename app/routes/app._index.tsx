import { Anchor, Badge, Card, Group, List, Progress, Stack, Table, Text, ThemeIcon, Title } from '@mantine/core'
import type { LoaderFunctionArgs } from '@remix-run/node'
import { Link, useLoaderData, useRouteLoaderData } from '@remix-run/react'
import { requireMembership } from '~/utils/auth.server'
import { loadAttention, loadOnboarding, type OnboardingStep } from '../core.server'
import type { loader as appLoader } from './app'
import { roleWithArticle } from '#domain/roles'
import { LocalTime, useWorkspaceZone } from '~/components/time'

const STATE_LABELS: Record<string, { label: string; color: string; next: string }> = {
  failed: { label: 'Failed', color: 'red', next: 'Fix the post or reconnect the account, then reschedule it.' },
  missed: { label: 'Missed', color: 'orange', next: 'No worker ran in time; move it to a new time on the calendar.' },
  needs_review: { label: 'Needs review', color: 'yellow', next: 'We could not tell whether it went out: check the account, then mark it.' },
}

export async function loader({ request, context }: LoaderFunctionArgs) {
  const { workspace } = await requireMembership(request, context.services)
  const { problems, needsApproval } = await loadAttention(context.services, { workspaceId: workspace.id, limit: 20 })
  const onboarding = await loadOnboarding(context.services, { workspaceId: workspace.id })
  return { problems: problems.map((p) => ({ ...p, dueAt: p.dueAt.toISOString() })), needsApproval, onboarding }
}

/** The workspace's front page: what needs attention, then the next useful steps. */
export default function Dashboard() {
  const shell = useRouteLoaderData<typeof appLoader>('routes/app')
  const zone = useWorkspaceZone()
  const { problems, needsApproval, onboarding } = useLoaderData<typeof loader>()
  return (
    <Stack maw={960}>
      <Title order={1}>{shell?.workspace.name ?? 'Dashboard'}</Title>
      <Text>
        Welcome{shell ? `, ${shell.user.name}` : ''}. You are {shell ? roleWithArticle(shell.role) : ''} of this workspace.
      </Text>
      {onboarding.done < onboarding.steps.length ? <Onboarding steps={onboarding.steps} done={onboarding.done} /> : null}
      {needsApproval > 0 ? (
        <Card withBorder>
          <Text>
            <Anchor component={Link} to="/app/series?approval=pending">
              {needsApproval === 1 ? '1 series needs approval' : `${needsApproval} series need approval`}
            </Anchor>
            {shell?.role === 'owner' ? ': review and approve it once, and its posts are scheduled.' : ': a workspace owner approves them before anything is published.'}
          </Text>
        </Card>
      ) : null}
      {problems.length > 0 ? (
        <Card withBorder>
          <Title order={2} size="h4" mb="xs">
            Needs attention
          </Title>
          <Table>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Post</Table.Th>
                <Table.Th>Due ({zone})</Table.Th>
                <Table.Th>Status</Table.Th>
                <Table.Th>What to do</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {problems.map((p) => {
                const state = STATE_LABELS[p.state] ?? { label: p.state, color: 'gray', next: '' }
                return (
                  <Table.Tr key={p.id}>
                    <Table.Td>
                      <Anchor component={Link} to={`/app/series/${p.sequenceId}`}>
                        {p.sequenceName}
                      </Anchor>{' '}
                      <Text span c="dimmed" size="sm">
                        on @{p.accountHandle}
                      </Text>
                    </Table.Td>
                    <Table.Td>
                      <LocalTime at={p.dueAt} zoneShown={false} />
                    </Table.Td>
                    <Table.Td>
                      <Group gap={4}>
                        <Badge color={state.color}>{state.label}</Badge>
                      </Group>
                    </Table.Td>
                    <Table.Td>
                      {p.lastError ? <Text size="sm">{p.lastError}</Text> : null}
                      <Text size="sm" c="dimmed">
                        {state.next}
                      </Text>
                    </Table.Td>
                  </Table.Tr>
                )
              })}
            </Table.Tbody>
          </Table>
        </Card>
      ) : null}
      <Card withBorder>
        <Title order={2} size="h4" mb="xs">
          Next steps
        </Title>
        <List spacing="xs">
          <List.Item>
            <Anchor component={Link} to="/app/accounts">
              Connect an account
            </Anchor>
            , then{' '}
            <Anchor component={Link} to="/app/series/new">
              write a series
            </Anchor>{' '}
            and see it on the{' '}
            <Anchor component={Link} to="/app/calendar">
              calendar
            </Anchor>
            .
          </List.Item>
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
            to script Trickle (the API is described at <Anchor href="/api/v1/openapi.json">/api/v1/openapi.json</Anchor>).
          </List.Item>
        </List>
      </Card>
    </Stack>
  )
}

/** The first steps of a new workspace, each with its link and a done mark (hidden once all are done). */
function Onboarding({ steps, done }: { steps: OnboardingStep[]; done: number }) {
  return (
    <Card withBorder component="section" aria-labelledby="onboarding-heading">
      <Title order={2} size="h4" id="onboarding-heading">
        Get started
      </Title>
      <Text size="sm" c="dimmed" mb="xs">
        {done} of {steps.length} done
      </Text>
      <Progress value={(done / steps.length) * 100} aria-label={`Getting started: ${done} of ${steps.length} done`} mb="sm" />
      <List spacing="sm" listStyleType="none" aria-label="Getting started checklist">
        {steps.map((step) => (
          <List.Item
            key={step.id}
            data-done={step.done}
            icon={
              <ThemeIcon color={step.done ? 'teal' : 'gray'} variant={step.done ? 'filled' : 'light'} radius="xl" size={22} aria-hidden>
                {step.done ? '✓' : '○'}
              </ThemeIcon>
            }
          >
            <Anchor component={Link} to={step.href} fw={500} td={step.done ? 'line-through' : undefined}>
              {step.label}
            </Anchor>{' '}
            <Text span size="sm">
              {step.done ? '— done.' : `— ${step.description}`}
            </Text>
          </List.Item>
        ))}
      </List>
    </Card>
  )
}
