import { Anchor, Badge, Code, Group, Stack, Table, Text, Title } from '@mantine/core'
import type { LoaderFunctionArgs, MetaFunction } from '@remix-run/node'
import { Link, useLoaderData } from '@remix-run/react'
import { z } from 'zod'
import { notFound, requireMembership } from '~/utils/auth.server'
import { decayedScore, displayScore } from '#domain/email/score'
import { loadContactDetail } from '../core.server'

export const meta: MetaFunction = () => [{ title: 'Contact · Trickle' }]

const iso = (d: Date | null) => d?.toISOString() ?? null

export async function loader({ request, context, params }: LoaderFunctionArgs) {
  const { services } = context
  const { workspace } = await requireMembership(request, services)
  const id = z.uuid().safeParse(params.contactId)
  const detail = id.success ? await loadContactDetail(services, { workspaceId: workspace.id, contactId: id.data, eventLimit: 100 }) : null
  if (!detail) throw notFound('No such contact in this workspace')
  const { contact, halfLifeDays, consents, events, suppression, scoreHistory } = detail
  return {
    contact: {
      email: contact.email,
      name: contact.name,
      timezone: contact.timezone,
      status: contact.status,
      tags: contact.tags,
      fields: contact.fields,
      score: displayScore(decayedScore({ stored: { score: contact.leadScore, at: contact.leadScoreAt }, now: services.clock.now(), halfLifeDays })),
    },
    suppression: suppression ? { reason: suppression.reason, detail: suppression.detail, at: suppression.createdAt.toISOString() } : null,
    consents: consents.map((c) => ({ id: c.id, source: c.source, ip: c.ip, consentText: c.consentText, givenAt: c.givenAt.toISOString(), confirmedAt: iso(c.confirmedAt) })),
    scoreHistory: scoreHistory.map((c) => ({ id: c.id, rule: c.rule, points: c.points, occurredAt: c.occurredAt.toISOString() })),
    events: events.map((e) => ({ id: e.id, type: e.type, name: e.name, scoreDelta: e.scoreDelta, occurredAt: e.occurredAt.toISOString(), properties: JSON.stringify(e.properties) })),
  }
}

const when = (s: string | null) => (s ? `${s.slice(0, 16).replace('T', ' ')} UTC` : '—')
const signed = (n: number) => (n > 0 ? `+${n}` : n < 0 ? `−${Math.abs(n)}` : '0')

export default function ContactDetail() {
  const { contact, consents, events, suppression, scoreHistory } = useLoaderData<typeof loader>()
  return (
    <Stack>
      <Title order={1}>{contact.email}</Title>
      <Group>
        <Badge>{contact.status}</Badge>
        <Text>
          Lead score: <strong data-testid="lead-score">{contact.score}</strong>
        </Text>
        {contact.name ? <Text>{contact.name}</Text> : null}
        {contact.timezone ? <Text c="dimmed">{contact.timezone}</Text> : null}
      </Group>
      {suppression ? (
        <Text c="red">
          Suppressed ({suppression.reason}) since {when(suppression.at)}: {suppression.detail}
        </Text>
      ) : null}
      <Text>Tags: {contact.tags.length > 0 ? contact.tags.join(', ') : 'none'}</Text>
      {Object.keys(contact.fields).length > 0 ? <Code block>{JSON.stringify(contact.fields, null, 2)}</Code> : null}
      <Title order={2}>Consent</Title>
      {consents.length === 0 ? (
        <Text>No consent recorded.</Text>
      ) : (
        <Table>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Given</Table.Th>
              <Table.Th>Source</Table.Th>
              <Table.Th>IP</Table.Th>
              <Table.Th>Text shown</Table.Th>
              <Table.Th>Confirmed</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {consents.map((c) => (
              <Table.Tr key={c.id}>
                <Table.Td>{when(c.givenAt)}</Table.Td>
                <Table.Td>{c.source}</Table.Td>
                <Table.Td>{c.ip ?? '—'}</Table.Td>
                <Table.Td>{c.consentText ?? '—'}</Table.Td>
                <Table.Td>{when(c.confirmedAt)}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
      <Title order={2}>Score history</Title>
      {scoreHistory.length === 0 ? (
        <Text>
          No score changes yet. <Anchor component={Link} to="/app/contacts/score-rules">See the score rules</Anchor>
        </Text>
      ) : (
        <Table aria-label="Score history">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>When</Table.Th>
              <Table.Th>Rule</Table.Th>
              <Table.Th>Points</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {scoreHistory.map((c) => (
              <Table.Tr key={c.id}>
                <Table.Td>{when(c.occurredAt)}</Table.Td>
                <Table.Td>{c.rule}</Table.Td>
                <Table.Td>{signed(c.points)}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
      <Title order={2}>Events</Title>
      {events.length === 0 ? (
        <Text>No events yet.</Text>
      ) : (
        <Table>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>When</Table.Th>
              <Table.Th>Event</Table.Th>
              <Table.Th>Score</Table.Th>
              <Table.Th>Properties</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {events.map((e) => (
              <Table.Tr key={e.id}>
                <Table.Td>{when(e.occurredAt)}</Table.Td>
                <Table.Td>{e.type === 'event' ? e.name : e.type}</Table.Td>
                <Table.Td>{e.scoreDelta ? signed(e.scoreDelta) : ''}</Table.Td>
                <Table.Td>
                  <Code>{e.properties}</Code>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
    </Stack>
  )
}
