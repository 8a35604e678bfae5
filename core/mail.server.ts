import type { DbOrTx } from '../db/client'
import { createHmac, timingSafeEqual } from 'node:crypto'
import { z } from 'zod'
import type { Credentials } from '../connectors/types'
import type { Db } from '../db/client'
import { connectAccount, getAccountCredentials } from '../db/queries/accounts'
import { findMailDelivery, getMailSettings as getMailSettingsRow, recordMailTracking, upsertMailSettings, type MailSettingsRow } from '../db/queries/mail'
import type { Keyring } from '../db/vault'
import { PostalAddressSchema, type MailPrices, type PostalAddress } from '../domain/mail/address'
import { InputError } from './errors'
import { parseInput } from './parse-input'
import type { Services } from './services.server'

/**
 * Direct mail (docs/decisions/089-direct-mail-drip-step.md): the workspace's Lob settings (the API key and
 * the webhook secret sealed in the token vault as a `mail` account; the return address and prices in
 * `mail_settings`), the sender the drip runner uses, and Lob's tracking webhooks (`Lob-Signature`:
 * HMAC-SHA256 of `<Lob-Signature-Timestamp>.<body>` under the webhook's secret, timestamp checked).
 */

const Price = z.coerce.number({ error: 'must be a number' }).min(0, { error: 'must not be negative' }).max(100, { error: 'must be at most 100' })
const KeptSecret = (pattern: RegExp, message: string) =>
  z
    .string()
    .trim()
    .regex(pattern, { error: message })
    .optional()
    .or(z.literal('').transform(() => undefined))

export const MailSettingsInputSchema = z.strictObject({
  /** Empty: keep the stored one. */
  apiKey: KeptSecret(/^(test|live)_[A-Za-z0-9]{10,64}$/, 'must be a Lob API key (test_… or live_…)'),
  /** The secret Lob shows for the webhook (signs its events); empty: keep the stored one. */
  webhookSecret: KeptSecret(/^\S{8,200}$/, 'must be the webhook secret Lob shows (no spaces)'),
  returnAddress: PostalAddressSchema,
  postcardPrice: Price.default(0.63),
  letterPrice: Price.default(0.85),
  letterExtraPagePrice: Price.default(0.1),
  currency: z.string().trim().regex(/^[A-Z]{3}$/, { error: 'must be a currency code like USD' }).default('USD'),
})
export type MailSettingsInput = z.input<typeof MailSettingsInputSchema>

export type MailSettingsView = {
  configured: boolean
  apiKeySet: boolean
  webhookSecretSet: boolean
  returnAddress: PostalAddress | null
  prices: MailPrices
  currency: string
  /** Where Lob posts tracking events (add it as a webhook in Lob's dashboard). */
  webhookUrl: string
}

const DEFAULT_PRICES: MailPrices = { postcard: 0.63, letter: 0.85, letterExtraPage: 0.1 }

export function mailWebhookUrl(services: Pick<Services, 'config'>, workspaceId: string): string {
  return `${services.config.APP_URL.replace(/\/+$/, '')}/webhooks/lob/${workspaceId}`
}

const pricesOf = (row: MailSettingsRow | null): MailPrices => (row ? { postcard: row.postcardPrice, letter: row.letterPrice, letterExtraPage: row.letterExtraPagePrice } : DEFAULT_PRICES)

export async function mailConfigured(db: DbOrTx, args: { workspaceId: string }): Promise<boolean> {
  return !!(await getMailSettingsRow(db, args))?.accountId
}

export async function getMailSettings(services: Services, args: { workspaceId: string }): Promise<MailSettingsView> {
  const row = await getMailSettingsRow(services.database.db, args)
  const stored = row?.accountId ? await getAccountCredentials(services.database.db, { workspaceId: args.workspaceId, accountId: row.accountId, keyring: services.keyring }).catch(() => null) : null
  return {
    configured: !!row?.accountId && !!stored,
    apiKeySet: !!stored?.accessToken,
    webhookSecretSet: !!stored?.extra?.webhookSecret,
    returnAddress: row?.returnAddress ?? null,
    prices: pricesOf(row),
    currency: row?.currency ?? 'USD',
    webhookUrl: mailWebhookUrl(services, args.workspaceId),
  }
}

/** The builder's cost estimate: the workspace's prices (defaults until saved). */
export async function getMailPrices(services: Services, args: { workspaceId: string }): Promise<{ prices: MailPrices; currency: string }> {
  const row = await getMailSettingsRow(services.database.db, args)
  return { prices: pricesOf(row), currency: row?.currency ?? 'USD' }
}

/** Save the Lob settings: 400 naming the field for bad input, nothing half-saved (the account and the settings row in one transaction). */
export async function saveMailSettings(services: Services, args: { workspaceId: string; input: unknown }): Promise<MailSettingsView> {
  const input = parseInput(MailSettingsInputSchema, args.input)
  const db = services.database.db
  const existing = await getMailSettingsRow(db, { workspaceId: args.workspaceId })
  const stored = existing?.accountId ? await getAccountCredentials(db, { workspaceId: args.workspaceId, accountId: existing.accountId, keyring: services.keyring }).catch(() => null) : null
  const apiKey = input.apiKey ?? stored?.accessToken
  if (!apiKey) throw new InputError('apiKey', 'apiKey: enter the Lob API key')
  const webhookSecret = input.webhookSecret ?? stored?.extra?.webhookSecret
  const at = services.clock.now()
  await db.transaction(async (tx) => {
    const account = await connectAccount(tx as unknown as Db, {
      workspaceId: args.workspaceId,
      kind: 'mail',
      remoteAccountId: `lob:${apiKey.startsWith('live_') ? 'live' : 'test'}`,
      handle: input.returnAddress.name,
      displayName: 'Lob',
      credentials: { accessToken: apiKey, ...(webhookSecret ? { extra: { webhookSecret } } : {}) },
      keyring: services.keyring,
      clock: services.clock,
    })
    await upsertMailSettings(tx, {
      workspaceId: args.workspaceId,
      accountId: account.id,
      returnAddress: input.returnAddress,
      postcardPrice: input.postcardPrice,
      letterPrice: input.letterPrice,
      letterExtraPagePrice: input.letterExtraPagePrice,
      currency: input.currency,
      at,
    })
  })
  return getMailSettings(services, args)
}

export type MailSender = { returnAddress: PostalAddress; credentials: Credentials } | { problem: string }

/** The drip runner's Lob sender of a workspace (the API key opened from the vault), or why there is none. */
export async function mailSenderFor(deps: { db: Db; keyring: Keyring }, args: { workspaceId: string }): Promise<MailSender> {
  const row = await getMailSettingsRow(deps.db, args)
  if (!row?.accountId) return { problem: 'direct mail is not set up (Settings → Direct mail)' }
  try {
    return { returnAddress: row.returnAddress, credentials: await getAccountCredentials(deps.db, { workspaceId: args.workspaceId, accountId: row.accountId, keyring: deps.keyring }) }
  } catch (error) {
    return { problem: `Lob credentials: ${(error as Error).message}` }
  }
}

/** How far Lob's signature timestamp may be from our clock. */
const SIGNATURE_TOLERANCE_MS = 5 * 60_000

/** Lob's webhook signature: hex HMAC-SHA256 of `timestamp.body` under the webhook's secret. */
export function lobSignature(args: { secret: string; timestamp: string; body: string }): string {
  return createHmac('sha256', args.secret).update(`${args.timestamp}.${args.body}`).digest('hex')
}

export type LobWebhookResult = { status: 200 | 403 | 400; recorded: boolean; message?: string }

const LobEventSchema = z.object({
  id: z.string().min(1),
  date_created: z.string().optional(),
  event_type: z.object({ id: z.string().min(1) }),
  body: z.object({ id: z.string().min(1) }),
})

/**
 * One Lob webhook call: 403 unless `Lob-Signature` is the HMAC of `Lob-Signature-Timestamp.body` under the
 * workspace's webhook secret and the timestamp is within five minutes; then the event is recorded on the
 * delivery of its piece (once per event id). A piece we did not send is acknowledged and ignored.
 */
export async function handleLobWebhook(services: Services, args: { workspaceId: string; body: string; signature: string | null; timestamp: string | null }): Promise<LobWebhookResult> {
  const db = services.database.db
  const row = await getMailSettingsRow(db, { workspaceId: args.workspaceId })
  const stored = row?.accountId ? await getAccountCredentials(db, { workspaceId: args.workspaceId, accountId: row.accountId, keyring: services.keyring }).catch(() => null) : null
  const secret = stored?.extra?.webhookSecret
  if (!secret || !args.signature || !args.timestamp) return { status: 403, recorded: false, message: 'signature required' }
  const now = services.clock.now()
  const ts = Number(args.timestamp)
  // Lob sends milliseconds; seconds are taken too.
  const sentAt = ts > 1e12 ? ts : ts * 1000
  if (!Number.isFinite(ts) || Math.abs(now.getTime() - sentAt) > SIGNATURE_TOLERANCE_MS) return { status: 403, recorded: false, message: 'stale or bad timestamp' }
  const expected = Buffer.from(lobSignature({ secret, timestamp: args.timestamp, body: args.body }), 'hex')
  const given = Buffer.from(args.signature.trim(), 'hex')
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { status: 403, recorded: false, message: 'bad signature' }
  let event: z.infer<typeof LobEventSchema>
  try {
    event = LobEventSchema.parse(JSON.parse(args.body))
  } catch {
    return { status: 400, recorded: false, message: 'not a Lob event' }
  }
  const delivery = await findMailDelivery(db, { workspaceId: args.workspaceId, pieceId: event.body.id })
  if (!delivery) return { status: 200, recorded: false }
  const occurred = event.date_created ? new Date(event.date_created) : now
  const recorded = await recordMailTracking(db, { workspaceId: args.workspaceId, deliveryId: delivery.id, eventId: event.id, type: event.event_type.id, occurredAt: Number.isNaN(occurred.getTime()) ? now : occurred, at: now })
  return { status: 200, recorded }
}
