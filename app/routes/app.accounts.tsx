import { Alert, Badge, Button, Card, Group, Stack, Table, Text, TextInput, Title } from '@mantine/core'
import { data, redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node'
import { Form, Link, useActionData, useLoaderData } from '@remix-run/react'
import { AppPasswordForm } from '~/components/app-password-form'
import { CsrfInput } from '~/components/csrf-input'
import { TokenForm } from '~/components/token-form'
import { GeneralErrorBoundary } from '~/components/error-boundary'
import { beginConnection } from '~/utils/accounts.server'
import {
  AccountActionSchema,
  InputError,
  appPasswordReconnection,
  connectWithTokenForm,
  disconnectAccount,
  loadAccountsPage,
  signInWithAppPassword,
  type AccountView,
  type NetworkView,
} from '../core.server'
import { notFound, requireMembership, roleAtLeast } from '~/utils/auth.server'
import { readForm } from '~/utils/forms.server'
import { accountName } from '~/utils/format'
import { LocalTime } from '~/components/time'

export const meta: MetaFunction = () => [{ title: 'Accounts · Trickle' }]

export async function loader({ request, context }: LoaderFunctionArgs) {
  const { services } = context
  const { workspace, membership } = await requireMembership(request, services)
  const page = await loadAccountsPage(services, { workspaceId: workspace.id })
  const params = new URL(request.url).searchParams
  const connected = page.accounts.find((a) => a.id === params.get('connected')) ?? null
  const disconnected = params.has('disconnected')
  const reconnectId = params.get('reconnect')
  const reconnecting = reconnectId && /^[0-9a-f-]{36}$/.test(reconnectId) ? await appPasswordReconnection(services, { workspaceId: workspace.id, accountId: reconnectId }) : null
  return {
    ...page,
    networks: page.networks.filter((n) => n.configured),
    // Networks an administrator could still enable, and how: for owners only.
    unconfigured: roleAtLeast(membership.role, 'owner') ? page.networks.filter((n) => !n.configured) : [],
    reconnecting,
    workspaceName: workspace.name,
    canEdit: roleAtLeast(membership.role, 'editor'),
    connected,
    disconnected,
    now: services.clock.now().toISOString(),
  }
}

export async function action({ request, context }: ActionFunctionArgs) {
  const { services } = context
  const { user, session, workspace } = await requireMembership(request, services, { role: 'editor' })
  const form = await readForm(request, services, AccountActionSchema)
  if (!form.ok) {
    if (form.values.intent !== 'connect' && form.values.intent !== 'sign-in' && form.values.intent !== 'token') throw notFound('No such account in this workspace')
    return data({ fieldErrors: form.fieldErrors, kind: form.values.kind ?? null, values: form.values }, { status: 400 })
  }
  const scope = { workspaceId: workspace.id, userId: user.id, sessionIdHash: session.idHash }
  if (form.data.intent === 'disconnect') {
    if (!(await disconnectAccount(services, { workspaceId: workspace.id, accountId: form.data.accountId, actorUserId: user.id }))) {
      throw notFound('No such account in this workspace')
    }
    return redirect('/app/accounts?disconnected')
  }
  try {
    if (form.data.intent === 'sign-in') {
      const { kind, identifier, appPassword, server } = form.data
      const account = await signInWithAppPassword(services, { workspaceId: workspace.id, userId: user.id, kind, identifier, appPassword, server })
      return redirect(`/app/accounts?connected=${account.id}`)
    }
    if (form.data.intent === 'token') {
      const { kind, ...rest } = form.data
      const account = await connectWithTokenForm(services, { workspaceId: workspace.id, userId: user.id, kind, form: rest })
      return redirect(`/app/accounts?connected=${account.id}`)
    }
    const started = await beginConnection(
      services,
      form.data.intent === 'connect' ? { ...scope, kind: form.data.kind, server: form.data.server } : { ...scope, accountId: form.data.accountId },
    )
    if (!started) throw notFound('No such account in this workspace')
    return redirect(started.url, { headers: { 'Set-Cookie': started.setCookie } })
  } catch (error) {
    if (!(error instanceof InputError)) throw error
    return data(
      { fieldErrors: { [error.field ?? 'form']: error.message }, kind: form.data.intent === 'reconnect' ? null : form.data.kind, values: form.values },
      { status: error.status },
    )
  }
}

const STATUS: Record<AccountView['status'], { label: string; color: string }> = {
  connected: { label: 'Connected', color: 'teal' },
  reconnect_needed: { label: 'Reconnect needed', color: 'red' },
  disconnected: { label: 'Disconnected', color: 'gray' },
}


function TokenHealth({ account, now }: { account: AccountView; now: string }) {
  if (!account.expiresAt) return <Text size="sm">Does not expire</Text>
  const expired = account.expiresAt <= now
  if (!account.renewsItself) {
    return (
      <Text size="sm">
        {expired ? 'Expired' : 'Expires'} <LocalTime at={account.expiresAt} />
        {expired ? ': reconnect' : ': reconnect before then'}
      </Text>
    )
  }
  return (
    <Text size="sm">
      {expired ? 'Expired' : 'Expires'} <LocalTime at={account.expiresAt} />
      {expired ? '; renewed at the next publish' : '; renewed automatically'}
    </Text>
  )
}

export default function Accounts() {
  const { accounts, networks, unconfigured, reconnecting, workspaceName, canEdit, connected, disconnected, now } = useLoaderData<typeof loader>()
  const result = useActionData<typeof action>()
  return (
    <Stack maw={960}>
      <Title order={1}>Accounts</Title>
      <Text c="dimmed">The social accounts {workspaceName} publishes to. Tokens are stored encrypted.</Text>
      {connected ? (
        <Alert color="teal" role="status" title="Account connected">
          {connected.network} account {accountName(connected)} is connected and ready to publish.
        </Alert>
      ) : null}
      {disconnected ? (
        <Alert color="gray" role="status" title="Account disconnected">
          Trickle no longer holds its tokens or publishes to it.
        </Alert>
      ) : null}
      {result?.fieldErrors.form ? (
        <Alert color="red" role="alert" title="Could not connect">
          {result.fieldErrors.form}
        </Alert>
      ) : null}

      {accounts.length === 0 ? (
        <Card withBorder>
          <Text fw={500}>
            {`No accounts yet — ${networks[0] ? `connect ${networks[0].name} to start publishing.` : 'an administrator has to configure a network first (see below).'}`}
          </Text>
        </Card>
      ) : (
        <Table.ScrollContainer minWidth={560} type="native">
          <Table aria-label="Connected accounts">
          <Table.Thead>
            <Table.Tr>
              <Table.Th scope="col">Account</Table.Th>
              <Table.Th scope="col">Network</Table.Th>
              <Table.Th scope="col">Health</Table.Th>
              <Table.Th scope="col">Access token</Table.Th>
              {canEdit ? <Table.Th scope="col">Actions</Table.Th> : null}
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {accounts.map((account) => (
              <Table.Tr key={account.id} data-testid="account-row">
                <Table.Th scope="row" fw={500}>
                  {accountName(account)}
                  {account.displayName ? (
                    <Text size="sm" c="dimmed" fw={400}>
                      {account.displayName}
                    </Text>
                  ) : null}
                </Table.Th>
                <Table.Td>{account.network}</Table.Td>
                <Table.Td>
                  <Badge color={STATUS[account.status].color} variant="light">
                    {STATUS[account.status].label}
                  </Badge>
                  {account.status !== 'connected' ? (
                    <Text size="sm" mt={4}>
                      {account.statusReason ? `${account.statusReason}. ` : ''}Press Reconnect and sign in to {account.network} again.
                    </Text>
                  ) : null}
                  {account.mediaWarning ? (
                    <Text size="sm" mt={4} c="orange.9" data-testid="media-warning">
                      {account.mediaWarning}
                    </Text>
                  ) : null}
                </Table.Td>
                <Table.Td>
                  <TokenHealth account={account} now={now} />
                </Table.Td>
                {canEdit ? (
                  <Table.Td>
                    <Group gap="xs" wrap="nowrap">
                      <ReconnectAction account={account} inForm={networks.some((n) => n.kind === account.kind && (n.appPasswords || n.tokenForm))} />
                      <Button component={Link} to={`/app/accounts/${account.id}/queue`} size="xs" variant="subtle" aria-label={`Posting times of ${accountName(account)} on ${account.network}`}>
                        Posting times
                      </Button>
                      <Button
                        component={Link}
                        to={`/app/accounts/${account.id}/disconnect`}
                        size="xs"
                        color="red"
                        variant="subtle"
                        aria-label={`Disconnect ${accountName(account)} on ${account.network}`}
                      >
                        Disconnect
                      </Button>
                    </Group>
                  </Table.Td>
                ) : null}
              </Table.Tr>
            ))}
          </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}

      <Title order={2}>Connect an account</Title>
      {canEdit ? null : <Text>You are a viewer in {workspaceName}: connecting accounts needs the editor role. Ask a workspace owner.</Text>}
      <Group align="stretch">
        {networks.map((network) => (
          <ConnectCard
            key={network.kind}
            network={network}
            canEdit={canEdit}
            error={result?.kind === network.kind ? result.fieldErrors : undefined}
            values={result?.kind === network.kind ? result.values : reconnecting?.kind === network.kind ? reconnecting : undefined}
            reconnecting={!result && reconnecting?.kind === network.kind}
          />
        ))}
      </Group>
      {unconfigured.length > 0 ? (
        <Card withBorder component="section" aria-labelledby="more-networks">
          <Title order={3} size="h4" id="more-networks" mb="xs">
            More networks
          </Title>
          <Text size="sm">Not enabled on this server, so not offered above. An administrator can enable:</Text>
          <ul>
            {unconfigured.map((network) => (
              <li key={network.kind}>
                <Text size="sm" span fw={500}>
                  {network.name}
                </Text>
                <Text size="sm" span>{`: ${network.setupHelp ?? 'see the README.'}`}</Text>
              </li>
            ))}
          </ul>
          <Text size="sm">Every variable is explained in the Configuration section of Trickle&apos;s README.</Text>
        </Card>
      ) : null}
    </Stack>
  )
}

/** OAuth networks start a new authorization; app-password and token-form networks open their form (an app password's with the handle and server filled in). */
function ReconnectAction({ account, inForm }: { account: AccountView; inForm: boolean }) {
  const label = `Reconnect ${accountName(account)} on ${account.network}`
  const variant = account.status === 'connected' ? 'default' : 'filled'
  if (inForm) {
    return (
      <Button component={Link} to={`/app/accounts?reconnect=${account.id}#connect-${account.kind}`} reloadDocument size="xs" variant={variant} aria-label={label}>
        Reconnect
      </Button>
    )
  }
  return (
    <Form method="post" reloadDocument>
      <CsrfInput />
      <input type="hidden" name="intent" value="reconnect" />
      <input type="hidden" name="accountId" value={account.id} />
      <Button type="submit" size="xs" variant={variant} aria-label={label}>
        Reconnect
      </Button>
    </Form>
  )
}

function ConnectCard({
  network,
  canEdit,
  error,
  values,
  reconnecting,
}: {
  network: NetworkView
  canEdit: boolean
  error?: Record<string, string>
  values?: Record<string, string>
  reconnecting?: boolean
}) {
  const headingId = `connect-${network.kind}`
  return (
    <Card withBorder w={420} component="section" aria-labelledby={headingId}>
      <Title order={3} size="h4" id={headingId} mb="xs">
        {network.name}
      </Title>
      {!canEdit ? (
        <Text size="sm">Needs the editor role.</Text>
      ) : network.appPasswords ? (
        <Stack gap="md">
          {network.delegated ? <DelegatedForm network={network} delegated={network.delegated} values={values} error={values?.intent === 'connect' ? error : undefined} /> : null}
          <AppPasswordForm
            kind={network.kind}
            name={network.name}
            settingsUrl={network.appPasswords.settingsUrl}
            defaultServer={network.appPasswords.defaultServer}
            values={values}
            errors={network.delegated && values?.intent === 'connect' ? undefined : error}
            reconnecting={reconnecting}
          />
        </Stack>
      ) : network.tokenForm ? (
        <TokenForm kind={network.kind} name={network.name} form={network.tokenForm} values={values} errors={error} reconnecting={reconnecting} />
      ) : (
        // A full-page POST: the answer redirects to the network's own authorization page.
        <Form method="post" reloadDocument noValidate>
          <CsrfInput />
          <input type="hidden" name="intent" value="connect" />
          <input type="hidden" name="kind" value={network.kind} />
          <Stack gap="xs">
            {network.needsServer ? (
              <TextInput
                label={network.serverField?.label ?? `Your ${network.name} server`}
                description={network.serverField?.description ?? 'The address of your instance, e.g. https://mastodon.social'}
                placeholder={network.serverField?.placeholder ?? undefined}
                name="server"
                type={network.serverField ? 'text' : 'url'}
                required
                defaultValue={values?.server}
                error={error?.server}
              />
            ) : (
              <Text size="sm">You will sign in to {network.name} and allow Trickle to post for you.</Text>
            )}
            {error?.kind ? (
              <Text c="red" size="sm" role="alert">
                {error.kind}
              </Text>
            ) : null}
            <Button type="submit">{`Connect ${network.name}`}</Button>
          </Stack>
        </Form>
      )}
    </Card>
  )
}

/** A network whose OAuth library runs the authorization (Bluesky with a public https APP_URL, decision 115): the user names the account, then approves Trickle on their own server. */
function DelegatedForm({
  network,
  delegated,
  values,
  error,
}: {
  network: NetworkView
  delegated: NonNullable<NetworkView['delegated']>
  values?: Record<string, string>
  error?: Record<string, string>
}) {
  return (
    <Form method="post" reloadDocument noValidate aria-label={`Connect ${network.name} with OAuth`}>
      <CsrfInput />
      <input type="hidden" name="intent" value="connect" />
      <input type="hidden" name="kind" value={network.kind} />
      <Stack gap="xs">
        <TextInput
          label={delegated.label}
          description={delegated.description}
          placeholder={delegated.placeholder ?? undefined}
          name="server"
          required
          autoComplete="username"
          defaultValue={values?.intent === 'connect' ? values.server : values?.identifier}
          error={error?.server}
        />
        <Button type="submit">{`Connect ${network.name} with OAuth`}</Button>
        <Text size="sm" c="dimmed">
          Or with an app password:
        </Text>
      </Stack>
    </Form>
  )
}

export function ErrorBoundary() {
  return <GeneralErrorBoundary />
}
