import { Anchor, Badge, Code, Group, Stack, Table, Text, Title } from '@mantine/core'
import { data, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node'
import { Link, useActionData, useLoaderData, useNavigation } from '@remix-run/react'
import { z } from 'zod'
import { ContactDrips } from '~/components/contact-drips'
import { notFound, requireMembership, roleAtLeast } from '~/utils/auth.server'
import { readForm } from '~/utils/forms.server'
import { redirectWithToast } from '~/utils/toast.server'
import { decayedScore, displayScore } from '#domain/email/score'
import { enrollContact, findContact, InputError, listContactDrips, listDripChoices, loadContactDetail, removeFromDrip } from '../core.server'
import { LocalTime } from '~/components/time'

export const meta: MetaFunction = () => [{ title: 'Contact · Trickle' }]

const iso = (d: Date | null) => d?.toISOString() ?? null

export async function loader({ request, context, params }: LoaderFunctionArgs) {
  const { services } = context
  const { workspace, membership } = await requireMembership(request, services)
  const id = z.uuid().safeParse(params.contactId)
  const detail = id.success ? await loadContactDetail(services, { workspaceId: workspace.id, contactId: id.data, eventLimit: 100 }) : null
  if (!detail) throw notFound('No such contact in this workspace')
  const { contact, halfLifeDays, consents, events, suppression, scoreHistory } = detail
  const [drips, dripChoices] = await Promise.all([listContactDrips(services, { workspaceId: workspace.id, contactId: contact.id }), listDripChoices(services, { workspaceId: workspace.id })])
  return {
    canEdit: roleAtLeast(membership.role, 'editor'),
    drips: drips.map((d) => ({ ...d, nextSendAt: iso(d.nextSendAt), enrolledAt: d.enrolledAt.toISOString(), endedAt: iso(d.endedAt) })),
    dripChoices,
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

const ContactDripActionSchema = z.discriminatedUnion(
  'intent',
  [z.object({ intent: z.literal('enroll'), dripId: z.uuid({ error: 'Choose a drip' }) }), z.object({ intent: z.literal('remove'), dripId: z.uuid({ error: 'No such drip' }) })],
  { error: 'Unknown action' },
)

/** Enroll the contact in a drip, or remove it from one (editors). Bad input comes back under the drip field. */
export async function action({ request, context, params }: ActionFunctionArgs) {
  const { services } = context
  const { workspace, user } = await requireMembership(request, services, { role: 'editor' })
  const form = await readForm(request, services, ContactDripActionSchema)
  const id = z.uuid().safeParse(params.contactId)
  const contact = id.success ? await findContact(services, { workspaceId: workspace.id, contactId: id.data }) : null
  if (!contact) throw notFound('No such contact in this workspace')
  if (!form.ok) return data({ field: 'dripId', message: Object.values(form.fieldErrors).join(' ') }, { status: 400 })
  const ids = { workspaceId: workspace.id, dripId: form.data.dripId }
  const back = `/app/contacts/${contact.id}`
  try {
    if (form.data.intent === 'remove') {
      const { exited } = await removeFromDrip(services, { ...ids, contactId: contact.id, by: user.email })
      return redirectWithToast(services, back, exited.length ? { kind: 'success', message: 'Removed from the drip: nothing more is sent.' } : { kind: 'info', message: 'Not active in that drip any more.' })
    }
    const { created } = await enrollContact(services, { ...ids, input: { contactId: contact.id }, source: 'manual' })
    return redirectWithToast(services, back, created ? { kind: 'success', message: 'Enrolled: the first step goes out when it is due.' } : { kind: 'info', message: 'Already in that drip (its re-entry policy keeps the current enrollment).' })
  } catch (error) {
    if (!(error instanceof InputError)) throw error
    const message = error.status === 404 && error.field !== 'contactId' ? 'No such drip in this workspace' : error.message.replace(/^\w+: /, '')
    return data({ field: 'dripId', message }, { status: error.status })
  }
}

const when = (s: string | null) => <LocalTime at={s} />
const signed = (n: number) => (n > 0 ? `+${n}` : n < 0 ? `−${Math.abs(n)}` : '0')

export default function ContactDetail() {
  const { contact, consents, events, suppression, drips, dripChoices, canEdit, scoreHistory } = useLoaderData<typeof loader>()
  const result = useActionData<typeof action>()
  const navigation = useNavigation()
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
      <ContactDrips rows={drips} drips={dripChoices} canEdit={canEdit} error={result?.message} busy={navigation.state === 'submitting' && navigation.formData?.get('intent') === 'enroll'} />
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
