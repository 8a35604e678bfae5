import { Alert, Anchor, Button, Group, Stack, Text, Title } from '@mantine/core'
import type { LoaderFunctionArgs, MetaFunction } from '@remix-run/node'
import { Form, Link, useLoaderData } from '@remix-run/react'
import { z } from 'zod'
import { CsrfInput } from '~/components/csrf-input'
import { GeneralErrorBoundary } from '~/components/error-boundary'
import { findAccountView } from '../core.server'
import { notFound, requireMembership } from '~/utils/auth.server'
import { accountName } from '~/utils/format'

export const meta: MetaFunction = () => [{ title: 'Disconnect account · Trickle' }]

/** Asks before disconnecting; the form posts to the Accounts page's action. */
export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const { workspace } = await requireMembership(request, context.services, { role: 'editor' })
  const accountId = z.uuid().safeParse(params.accountId)
  const account = accountId.success ? await findAccountView(context.services, { workspaceId: workspace.id, accountId: accountId.data }) : null
  if (!account) throw notFound('No such account in this workspace')
  return { account, workspaceName: workspace.name }
}

export default function DisconnectAccount() {
  const { account, workspaceName } = useLoaderData<typeof loader>()
  return (
    <Stack maw={640}>
      <Title order={1}>{`Disconnect ${accountName(account)} from ${workspaceName}?`}</Title>
      <Alert color="red" title="This cannot be undone">
        <Text>
          Trickle deletes the stored {account.network} tokens of {accountName(account)} and stops publishing to it. Scheduled and past deliveries to this
          account are removed with it. To publish there again, connect the account again.
        </Text>
      </Alert>
      <Form method="post" action="/app/accounts">
        <CsrfInput />
        <input type="hidden" name="intent" value="disconnect" />
        <input type="hidden" name="accountId" value={account.id} />
        <Group>
          <Button type="submit" color="red">
            {`Disconnect ${accountName(account)}`}
          </Button>
          <Anchor component={Link} to="/app/accounts">
            Cancel, keep it connected
          </Anchor>
        </Group>
      </Form>
    </Stack>
  )
}

export function ErrorBoundary() {
  return <GeneralErrorBoundary />
}
