import { Alert, Button, Code, Group, Stack, Table, Text, TextInput } from '@mantine/core'
import { data, type ActionFunctionArgs, type LoaderFunctionArgs } from '@remix-run/node'
import { Form, useActionData, useLoaderData } from '@remix-run/react'
import { z } from 'zod'
import { lineSchema } from '#domain/text'
import { CsrfInput } from '~/components/csrf-input'
import { notFound, requireMembership } from '~/utils/auth.server'
import { readForm } from '~/utils/forms.server'
import { createApiToken, listVisibleApiTokens, revokeVisibleApiToken } from '../core.server'
import { LocalTime } from '~/components/time'

const TokenNameSchema = lineSchema('Remove the control characters').trim().min(1, 'Name the token after what will use it, e.g. "CI publisher"').max(100, 'Use at most 100 characters')

const TokenActionSchema = z.discriminatedUnion('intent', [
  z.object({ intent: z.literal('create'), name: TokenNameSchema }),
  z.object({ intent: z.literal('revoke'), tokenId: z.uuid() }),
])

export async function loader({ request, context }: LoaderFunctionArgs) {
  const { user, workspace, membership } = await requireMembership(request, context.services)
  const isOwner = membership.role === 'owner'
  const tokens = await listVisibleApiTokens(context.services, { workspaceId: workspace.id, viewer: { userId: user.id, role: membership.role } })
  return {
    isOwner,
    tokens: tokens.map((t) => ({
      id: t.id,
      name: t.name,
      prefix: t.prefix,
      userEmail: t.userEmail,
      lastUsedAt: t.lastUsedAt?.toISOString() ?? null,
      revoked: t.revokedAt !== null,
    })),
  }
}

export async function action({ request, context }: ActionFunctionArgs) {
  const { services } = context
  const { user, workspace, membership } = await requireMembership(request, services)
  const form = await readForm(request, services, TokenActionSchema)
  if (!form.ok) {
    if (form.values.intent !== 'create') throw notFound('No such API token')
    return data({ fieldErrors: form.fieldErrors, created: null }, { status: 400 })
  }
  if (form.data.intent === 'create') {
    const { token } = await createApiToken(services, { workspaceId: workspace.id, userId: user.id, name: form.data.name })
    return { fieldErrors: {} as Record<string, string>, created: { token, name: form.data.name } }
  }
  const revoked = await revokeVisibleApiToken(services, { workspaceId: workspace.id, tokenId: form.data.tokenId, viewer: { userId: user.id, role: membership.role } })
  if (!revoked) throw notFound('No such API token in this workspace')
  return { fieldErrors: {} as Record<string, string>, created: null }
}

export default function ApiTokens() {
  const { tokens, isOwner } = useLoaderData<typeof loader>()
  const result = useActionData<typeof action>()
  const errors: Record<string, string | undefined> = result?.fieldErrors ?? {}
  return (
    <Stack>
      <Text c="dimmed">
        A token lets scripts use the JSON API as you, in this workspace, with your role. Send it as{' '}
        <Code>Authorization: Bearer trk_…</Code>. {isOwner ? 'As an owner you see every token of the workspace.' : ''}
      </Text>
      {result?.created ? (
        <Alert color="teal" role="status" title={`Token "${result.created.name}" created`}>
          <Text>Copy it now and store it somewhere safe; it will not be shown again.</Text>
          <Code block data-testid="api-token">
            {result.created.token}
          </Code>
        </Alert>
      ) : null}
      <Form method="post" noValidate>
        <CsrfInput />
        <input type="hidden" name="intent" value="create" />
        <Group align="start">
          <TextInput label="Token name" name="name" required error={errors.name} />
          <Button type="submit" mt={25}>
            Create token
          </Button>
        </Group>
      </Form>
      {tokens.length === 0 ? (
        <Text>No API tokens yet. Name one above (e.g. “CI” or “Zapier”) to script Trickle through the API; the secret is shown once.</Text>
      ) : (
        <Table>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Name</Table.Th>
              <Table.Th>Starts with</Table.Th>
              {isOwner ? <Table.Th>Owner</Table.Th> : null}
              <Table.Th>Last used</Table.Th>
              <Table.Th>Actions</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {tokens.map((token) => (
              <Table.Tr key={token.id}>
                <Table.Td>{token.name}</Table.Td>
                <Table.Td>
                  <Code>{token.prefix}…</Code>
                </Table.Td>
                {isOwner ? <Table.Td>{token.userEmail}</Table.Td> : null}
                <Table.Td>
                  <LocalTime at={token.lastUsedAt} empty="never" />
                </Table.Td>
                <Table.Td>
                  {token.revoked ? (
                    'revoked'
                  ) : (
                    <Form method="post">
                      <CsrfInput />
                      <input type="hidden" name="intent" value="revoke" />
                      <input type="hidden" name="tokenId" value={token.id} />
                      <Button type="submit" color="red" variant="subtle" size="xs" aria-label={`Revoke token ${token.name}`}>
                        Revoke
                      </Button>
                    </Form>
                  )}
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
    </Stack>
  )
}
