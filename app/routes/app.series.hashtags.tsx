import { Anchor, Button, Card, Group, Stack, Table, Text, TextInput, Title } from '@mantine/core'
import { data, redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node'
import { Form, Link, useActionData, useLoaderData, useNavigation } from '@remix-run/react'
import { z } from 'zod'
import { CsrfInput } from '~/components/csrf-input'
import { GeneralErrorBoundary } from '~/components/error-boundary'
import { requireMembership, roleAtLeast } from '~/utils/auth.server'
import { readForm } from '~/utils/forms.server'
import { createHashtagGroup, InputError, listWorkspaceHashtagGroups, messageForPeople, removeHashtagGroup } from '../core.server'

export const meta: MetaFunction = () => [{ title: 'Hashtag groups · Trickle' }]

const HashtagFormSchema = z.discriminatedUnion('intent', [
  z.object({ intent: z.literal('create'), name: z.string().max(1000), hashtags: z.string().max(5000) }),
  z.object({ intent: z.literal('remove'), groupId: z.string().max(100) }),
])

export async function loader({ request, context }: LoaderFunctionArgs) {
  const { workspace, membership } = await requireMembership(request, context.services)
  return { groups: await listWorkspaceHashtagGroups(context.services, { workspaceId: workspace.id }), canEdit: roleAtLeast(membership.role, 'editor') }
}

export async function action({ request, context }: ActionFunctionArgs) {
  const { services } = context
  const { workspace } = await requireMembership(request, services, { role: 'editor' })
  const form = await readForm(request, services, HashtagFormSchema)
  if (!form.ok) return data({ fieldErrors: form.fieldErrors, values: form.values }, { status: 400 })
  try {
    if (form.data.intent === 'remove') await removeHashtagGroup(services, { workspaceId: workspace.id, groupId: form.data.groupId })
    else await createHashtagGroup(services, { workspaceId: workspace.id, input: { name: form.data.name, hashtags: form.data.hashtags } })
  } catch (error) {
    if (!(error instanceof InputError)) throw error
    return data({ fieldErrors: { [error.field?.split('.')[0] ?? 'form']: messageForPeople(error.message).replace(/^\w+: /, '') }, values: form.values }, { status: error.status })
  }
  return redirect('/app/series/hashtags')
}

/** The workspace's hashtag groups (decision 091): the series editor adds one to a post with one click. */
export default function HashtagGroups() {
  const { groups, canEdit } = useLoaderData<typeof loader>()
  const result = useActionData<typeof action>()
  const errors: Record<string, string | undefined> = result?.fieldErrors ?? {}
  const busy = useNavigation().state === 'submitting'
  return (
    <Stack maw={720}>
      <Anchor component={Link} to="/app/series" size="sm">
        ← Series
      </Anchor>
      <Title order={1}>Hashtag groups</Title>
      <Text c="dimmed">Saved sets of hashtags. In the series editor, a group’s button adds its hashtags to the end of a post (those the post already has are left out).</Text>
      {groups.length === 0 ? (
        <Text>No hashtag groups yet.</Text>
      ) : (
        <Table aria-label="Hashtag groups">
          <Table.Thead>
            <Table.Tr>
              <Table.Th scope="col">Name</Table.Th>
              <Table.Th scope="col">Hashtags</Table.Th>
              {canEdit ? <Table.Th scope="col">Actions</Table.Th> : null}
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {groups.map((group) => (
              <Table.Tr key={group.id}>
                <Table.Th scope="row">{group.name}</Table.Th>
                <Table.Td style={{ overflowWrap: 'anywhere' }}>{group.hashtags.join(' ')}</Table.Td>
                {canEdit ? (
                  <Table.Td>
                    <Form method="post">
                      <CsrfInput />
                      <input type="hidden" name="groupId" value={group.id} />
                      <Button type="submit" name="intent" value="remove" size="xs" variant="subtle" color="red" aria-label={`Remove hashtag group ${group.name}`}>
                        Remove
                      </Button>
                    </Form>
                  </Table.Td>
                ) : null}
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
      {canEdit ? (
        <Card withBorder component="section" aria-labelledby="new-hashtag-group">
          <Title order={2} size="h4" id="new-hashtag-group" mb="xs">
            New group
          </Title>
          <Form method="post" noValidate>
            <CsrfInput />
            <Stack gap="sm">
              <TextInput label="Name" name="name" required defaultValue={result?.values.name} error={errors.name} />
              <TextInput
                label="Hashtags"
                name="hashtags"
                required
                description="Separated by spaces or commas; the # is optional."
                placeholder="#garden #spring #tips"
                defaultValue={result?.values.hashtags}
                error={errors.hashtags}
              />
              {errors.form ? <Text c="red" size="sm" role="alert">{errors.form}</Text> : null}
              <Group>
                <Button type="submit" name="intent" value="create" loading={busy}>
                  Add group
                </Button>
              </Group>
            </Stack>
          </Form>
        </Card>
      ) : null}
    </Stack>
  )
}

export function ErrorBoundary() {
  return <GeneralErrorBoundary />
}
