import { Button, Group, NativeSelect, Stack, Table, Text } from '@mantine/core'
import type { LoaderFunctionArgs, MetaFunction } from '@remix-run/node'
import { Form, Link, useLoaderData, useSearchParams } from '@remix-run/react'
import { Pager, TableHead } from '~/components/list-page'
import { requireMembership } from '~/utils/auth.server'
import { AUDIT_KINDS, listWorkspaceAuditEvents, listWorkspaceMembers } from '../core.server'

export const meta: MetaFunction = () => [{ title: 'Audit log · Settings · Trickle' }]

/** The workspace's audit log (owners only): security events, newest first, filtered by kind and person, paged by "older". */
export async function loader({ request, context }: LoaderFunctionArgs) {
  const { services } = context
  const { workspace } = await requireMembership(request, services, { role: 'owner' })
  const url = new URL(request.url)
  const kind = url.searchParams.get('kind') ?? ''
  const actor = url.searchParams.get('actor') ?? ''
  const [page, members] = await Promise.all([
    listWorkspaceAuditEvents(services, { workspaceId: workspace.id, kind, actorUserId: actor, before: url.searchParams.get('before') }),
    listWorkspaceMembers(services, { workspaceId: workspace.id }),
  ])
  return {
    kinds: Object.entries(AUDIT_KINDS).map(([value, label]) => ({ value, label })),
    people: members.map((m) => ({ value: m.userId, label: m.name ? `${m.name} (${m.email})` : m.email })),
    retentionDays: services.config.AUDIT_RETENTION_DAYS,
    events: page.events.map((e) => ({
      id: e.id,
      kind: e.kind,
      label: (AUDIT_KINDS as Record<string, string>)[e.kind] ?? e.kind,
      actor: e.actorUserId ? (e.actorEmail ?? 'a deleted user') : null,
      target: e.targetType ? `${e.targetType}${e.targetId ? ` ${e.targetId}` : ''}` : null,
      ip: e.ip,
      userAgent: e.userAgent,
      detail: Object.entries(e.detail)
        .map(([k, v]) => `${k}: ${String(v)}`)
        .join(', '),
      at: e.at.toISOString(),
    })),
    older: page.older,
  }
}

/** "2026-12-06 03:10:24 UTC": the stored instant, in UTC like the log lines. */
function formatInstant(iso: string): string {
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)} UTC`
}

export default function AuditLog() {
  const { kinds, people, events, older, retentionDays } = useLoaderData<typeof loader>()
  const [params] = useSearchParams()
  const filtered = Boolean(params.get('kind') || params.get('actor'))
  const olderParams = new URLSearchParams(params)
  if (older) olderParams.set('before', older)
  return (
    <Stack>
      <Text c="dimmed">
        Security events of this workspace: log-ins, password and two-factor changes of its members, API tokens, members and invitations,
        connected accounts, settings, and requests refused because they named something outside this workspace. Kept {retentionDays} days.
      </Text>
      <Form method="get" role="search" aria-label="Filter the audit log">
        <Group align="end" gap="sm">
          <NativeSelect label="Kind" name="kind" defaultValue={params.get('kind') ?? ''} data={[{ value: '', label: 'All kinds' }, ...kinds]} />
          <NativeSelect label="Person" name="actor" defaultValue={params.get('actor') ?? ''} data={[{ value: '', label: 'Everyone' }, ...people]} />
          <Button type="submit" variant="default">
            Filter
          </Button>
          {filtered ? (
            <Button component={Link} to="/app/settings/audit" variant="subtle">
              Clear filters
            </Button>
          ) : null}
        </Group>
      </Form>
      <Table.ScrollContainer minWidth={720} type="native">
        <Table>
          <Table.Caption>{params.get('before') ? 'Older audit events, newest first' : 'Audit events, newest first'}</Table.Caption>
          <TableHead columns={['When', 'Event', 'Who', 'Target', 'From', 'Details']} />
          <Table.Tbody>
            {events.length === 0 ? (
              <Table.Tr>
                <Table.Td colSpan={6}>{filtered ? 'No events match these filters.' : 'No events yet.'}</Table.Td>
              </Table.Tr>
            ) : (
              events.map((event) => (
                <Table.Tr key={event.id} data-kind={event.kind}>
                  <Table.Td>
                    <time dateTime={event.at}>{formatInstant(event.at)}</time>
                  </Table.Td>
                  <Table.Td>{event.label}</Table.Td>
                  <Table.Td>{event.actor ?? '—'}</Table.Td>
                  <Table.Td>{event.target ?? '—'}</Table.Td>
                  <Table.Td>
                    {event.ip ?? '—'}
                    {event.userAgent ? (
                      <Text size="xs" c="dimmed" lineClamp={2}>
                        {event.userAgent}
                      </Text>
                    ) : null}
                  </Table.Td>
                  <Table.Td>{event.detail || '—'}</Table.Td>
                </Table.Tr>
              ))
            )}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
      <Pager
        label="Pages of the audit log"
        previous={params.get('before') ? { to: `/app/settings/audit${filtered ? `?${new URLSearchParams([...params].filter(([k]) => k !== 'before'))}` : ''}`, label: 'Newest' } : null}
        next={older ? { to: `/app/settings/audit?${olderParams}`, label: 'Older events' } : null}
      />
    </Stack>
  )
}
