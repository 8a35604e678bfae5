import { Button, Group, NativeSelect, Stack, Table, Text } from '@mantine/core'
import { data, type ActionFunctionArgs, type LoaderFunctionArgs } from '@remix-run/node'
import { Form, useActionData, useLoaderData } from '@remix-run/react'
import { z } from 'zod'
import { CsrfInput } from '~/components/csrf-input'
import { FormAlert } from '~/components/form-alert'
import { useToast } from '~/components/toasts'
import { useMemo } from 'react'
import { ROLES } from '#domain/roles'
import { notFound, requireMembership } from '~/utils/auth.server'
import { readForm } from '~/utils/forms.server'
import { changeMember, listWorkspaceMembers } from '../core.server'
import { roleWithArticle } from '#domain/roles'

const MemberActionSchema = z.discriminatedUnion('intent', [
  z.object({ intent: z.literal('change-role'), membershipId: z.uuid(), role: z.enum(ROLES, 'Choose viewer, editor or owner') }),
  z.object({ intent: z.literal('remove'), membershipId: z.uuid() }),
])

export async function loader({ request, context }: LoaderFunctionArgs) {
  const { workspace, membership } = await requireMembership(request, context.services)
  const members = await listWorkspaceMembers(context.services, { workspaceId: workspace.id })
  return { members, isOwner: membership.role === 'owner', myMembershipId: membership.id }
}

export async function action({ request, context }: ActionFunctionArgs) {
  const { services } = context
  const { user, workspace } = await requireMembership(request, services, { role: 'owner' })
  const form = await readForm(request, services, MemberActionSchema)
  if (!form.ok) throw notFound('No such member')
  const change = form.data.intent === 'remove' ? { intent: 'remove' as const } : { intent: 'change-role' as const, role: form.data.role }
  const result = await changeMember(services, { workspaceId: workspace.id, membershipId: form.data.membershipId, change, actorUserId: user.id })
  if (!result.ok && result.problem === 'no-member') throw notFound('No such member in this workspace')
  if (!result.ok) return data({ formError: 'A workspace needs at least one owner. Make someone else an owner first.' }, { status: 400 })
  const target = result.member
  if (change.intent === 'remove') return { formError: null, message: `${target.name ?? target.email} was removed from the workspace.` }
  return { formError: null, message: `${target.name ?? target.email} is now ${roleWithArticle(change.role)}.` }
}

export default function Members() {
  const { members, isOwner, myMembershipId } = useLoaderData<typeof loader>()
  const result = useActionData<typeof action>()
  useToast(useMemo(() => (result && 'message' in result && result.message ? { kind: 'success' as const, message: result.message } : null), [result]))
  return (
    <Stack>
      <Text c="dimmed">
        Viewers can look, editors can write and schedule, owners also manage members and invitations.
        {isOwner ? ' To add someone, create an invitation link.' : ''}
      </Text>
      <FormAlert message={result?.formError} />
      <Table.ScrollContainer minWidth={560} type="native">
        <Table>
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Name</Table.Th>
            <Table.Th>Email</Table.Th>
            <Table.Th>Role</Table.Th>
            {isOwner ? <Table.Th>Actions</Table.Th> : null}
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {members.map((member) => (
            <Table.Tr key={member.id}>
              <Table.Td>
                {member.name}
                {member.id === myMembershipId ? ' (you)' : ''}
              </Table.Td>
              <Table.Td>{member.email}</Table.Td>
              <Table.Td>
                {isOwner ? (
                  <Form method="post">
                    <CsrfInput />
                    <input type="hidden" name="intent" value="change-role" />
                    <input type="hidden" name="membershipId" value={member.id} />
                    <Group gap={4} wrap="nowrap">
                      <NativeSelect aria-label={`Role of ${member.name}`} name="role" defaultValue={member.role} data={[...ROLES]} />
                      <Button type="submit" variant="default" size="xs">
                        Change
                      </Button>
                    </Group>
                  </Form>
                ) : (
                  member.role
                )}
              </Table.Td>
              {isOwner ? (
                <Table.Td>
                  <Form method="post">
                    <CsrfInput />
                    <input type="hidden" name="intent" value="remove" />
                    <input type="hidden" name="membershipId" value={member.id} />
                    <Button type="submit" color="red" variant="subtle" size="xs" aria-label={`Remove ${member.name}`}>
                      Remove
                    </Button>
                  </Form>
                </Table.Td>
              ) : null}
            </Table.Tr>
          ))}
        </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
    </Stack>
  )
}
