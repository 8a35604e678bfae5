import { Alert, Button, Code, Group, NativeSelect, Stack, Table, Text } from '@mantine/core'
import { type ActionFunctionArgs, type LoaderFunctionArgs } from '@remix-run/node'
import { Form, useActionData, useLoaderData } from '@remix-run/react'
import { z } from 'zod'
import { CsrfInput } from '~/components/csrf-input'
import { ROLES } from '#domain/roles'
import { issueInvitation, notFound, requireMembership } from '~/utils/auth.server'
import { readForm } from '~/utils/forms.server'
import { listWorkspaceInvitations, revokeWorkspaceInvitation } from '../core.server'
import { LocalTime } from '~/components/time'

const InvitationActionSchema = z.discriminatedUnion('intent', [
  z.object({ intent: z.literal('create'), role: z.enum(ROLES, 'Choose viewer, editor or owner') }),
  z.object({ intent: z.literal('revoke'), invitationId: z.uuid() }),
])

export async function loader({ request, context }: LoaderFunctionArgs) {
  const { services } = context
  const { workspace } = await requireMembership(request, services, { role: 'owner' })
  const invitations = await listWorkspaceInvitations(services, { workspaceId: workspace.id })
  return { invitations: invitations.map((i) => ({ id: i.id, role: i.role, expiresAt: i.expiresAt.toISOString() })) }
}

export async function action({ request, context }: ActionFunctionArgs) {
  const { services } = context
  const { user, workspace } = await requireMembership(request, services, { role: 'owner' })
  const form = await readForm(request, services, InvitationActionSchema)
  if (!form.ok) throw notFound('No such invitation')
  if (form.data.intent === 'create') {
    const invitation = await issueInvitation(services, { workspaceId: workspace.id, role: form.data.role, createdByUserId: user.id })
    return { created: { url: invitation.url, role: form.data.role } }
  }
  const revoked = await revokeWorkspaceInvitation(services, { workspaceId: workspace.id, invitationId: form.data.invitationId, actorUserId: user.id })
  if (!revoked) throw notFound('No such open invitation in this workspace')
  return { created: null }
}

export default function Invitations() {
  const { invitations } = useLoaderData<typeof loader>()
  const result = useActionData<typeof action>()
  return (
    <Stack>
      <Text c="dimmed">An invitation link works once, for 7 days. Whoever opens it and logs in (or signs up) joins with the role you pick.</Text>
      {result?.created ? (
        <Alert color="teal" role="status" title={`Invitation link for a new ${result.created.role}`}>
          <Text>Copy this link now and send it to the person you invite; it will not be shown again.</Text>
          <Code block data-testid="invitation-link">
            {result.created.url}
          </Code>
        </Alert>
      ) : null}
      <Form method="post">
        <CsrfInput />
        <input type="hidden" name="intent" value="create" />
        <Group align="end">
          <NativeSelect label="Role" name="role" defaultValue="editor" data={[...ROLES]} />
          <Button type="submit">Create invitation link</Button>
        </Group>
      </Form>
      {invitations.length === 0 ? (
        <Text>No open invitations. Pick a role and create a link above, then send it to your teammate; it works once.</Text>
      ) : (
        <Table>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Role</Table.Th>
              <Table.Th>Expires</Table.Th>
              <Table.Th>Actions</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {invitations.map((invitation) => (
              <Table.Tr key={invitation.id}>
                <Table.Td>{invitation.role}</Table.Td>
                <Table.Td>
                  <LocalTime at={invitation.expiresAt} />
                </Table.Td>
                <Table.Td>
                  <Form method="post">
                    <CsrfInput />
                    <input type="hidden" name="intent" value="revoke" />
                    <input type="hidden" name="invitationId" value={invitation.id} />
                    <Button type="submit" color="red" variant="subtle" size="xs" aria-label={`Revoke ${invitation.role} invitation`}>
                      Revoke
                    </Button>
                  </Form>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
    </Stack>
  )
}
