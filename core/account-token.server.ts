import { ADDRESS_NOT_ALLOWED, isAddressNotAllowed } from '../connectors/net-guard'
import { isConnectorError, type AuthorizedAccount, type ConnectorError, type TokenFormField } from '../connectors/types'
import type { AccountSummary } from '../db/queries/accounts'
import { configuredConnector, storeAuthorizedAccount } from './accounts.server'
import { InputError } from './errors'
import type { Services } from './services.server'

/**
 * Connecting an account with values the user copies from the network into the Accounts page's token form
 * (a Telegram bot token and channel, a Discord webhook URL, a webhook's URL and secret): the connector's
 * `tokenForm` says which fields, `connectWithToken` checks them against the network. Secret values go only
 * into the sealed credentials. Connecting the same remote account again (the same channel, the same
 * webhook) replaces its credentials.
 */

/** The form's name of a field: secret ones are `secret_<name>` (never echoed back into the page), others `field_<name>`. */
export function tokenFieldName(field: Pick<TokenFormField, 'name' | 'secret'>): string {
  return `${field.secret ? 'secret' : 'field'}_${field.name}`
}

export async function connectWithTokenForm(
  services: Services,
  args: { workspaceId: string; userId: string; kind: string; form: Record<string, unknown> },
): Promise<AccountSummary> {
  const connector = configuredConnector(services, args.kind)
  if (!connector?.connectWithToken || !connector.tokenForm) throw new InputError('kind', `${connector?.displayName ?? args.kind} does not connect with a token form.`)
  const fields = connector.tokenForm.fields
  const values: Record<string, string> = {}
  for (const field of fields) {
    const raw = args.form[tokenFieldName(field)]
    const value = typeof raw === 'string' ? raw.trim() : ''
    if (!value && !field.optional) throw new InputError(tokenFieldName(field), `Enter the ${field.label.toLowerCase()}.`)
    values[field.name] = value
  }
  let authorized: AuthorizedAccount
  try {
    authorized = await connector.connectWithToken(values)
  } catch (error) {
    throw tokenFormError(services, { name: connector.displayName, fields }, error)
  }
  return storeAuthorizedAccount(services, { workspaceId: args.workspaceId, userId: args.userId, kind: args.kind, authorized })
}

/** A failed connection as an error under the field at fault, or over the form when the network could not be asked. */
function tokenFormError(services: Services, network: { name: string; fields: TokenFormField[] }, error: unknown): InputError {
  // By name too: the web process's Remix build holds its own copy of the ConnectorError class.
  const failure = isConnectorError(error) || (error as Error | null)?.name === 'ConnectorError' ? (error as ConnectorError) : null
  const named = /^(\w+): ([\s\S]*)$/.exec((error as Error | null)?.message ?? '')
  const field = named ? network.fields.find((f) => f.name === named[1]) : undefined
  if (field && (!failure || failure.kind === 'auth' || failure.kind === 'invalid-content')) return new InputError(tokenFieldName(field), named![2]!)
  if (!failure) throw error
  const first = network.fields[0]!
  if (isAddressNotAllowed(error) || failure.detail?.code === 'EADDRNOTALLOWED') return new InputError(tokenFieldName(first), `${ADDRESS_NOT_ALLOWED}: use a public address.`)
  if (failure.kind === 'rate-limited') {
    const now = services.clock.now()
    const minutes = failure.resetAt && failure.resetAt > now ? Math.max(1, Math.ceil((failure.resetAt.getTime() - now.getTime()) / 60_000)) : null
    return new InputError('form', `${network.name} is limiting requests for now: try again ${minutes ? `in ${minutes} min` : 'in a few minutes'}.`, { status: 429 })
  }
  if (failure.kind === 'auth' || failure.kind === 'disconnected') {
    return new InputError(tokenFieldName(first), `${network.name} refused these values (${failure.detail?.status ?? failure.kind}): check them and try again.`)
  }
  return new InputError('form', `Could not reach ${network.name} to check these values: try again in a moment.`)
}
