import { z } from 'zod'
import { twilioCredentials } from '../connectors/sms/index'
import type { Credentials } from '../connectors/types'
import type { Db, DbOrTx } from '../db/client'
import { connectAccount, getAccountCredentials } from '../db/queries/accounts'
import { getContact } from '../db/queries/contacts'
import { getDrip as getDripRow, findTriggeredDrips } from '../db/queries/drips'
import { insertContactEvent } from '../db/queries/events'
import {
  findContactsByPhone,
  findSmsDelivery,
  getSmsSettings as getSmsSettingsRow,
  liftPhoneSuppression,
  recordSmsStatus,
  suppressPhone,
  upsertSmsSettings,
  type SmsSettingsRow,
} from '../db/queries/sms'
import type { Keyring } from '../db/vault'
import { classifyInbound, keywordOf, type InboundKind } from '../domain/sms/keywords'
import { normalisePhone } from '../domain/sms/phone'
import { applySmsStatus, isSmsStatus } from '../domain/sms/status'
import { enrollInto, wakeDripRunner } from './drips/enroll.server'
import { InputError } from './errors'
import type { Services } from './services.server'

/**
 * SMS (docs/decisions/081-sms-step.md): the workspace's Twilio settings (the account SID and auth token
 * sealed in the token vault as an `sms` account), Twilio's webhooks (inbound texts: STOP / START / HELP
 * and replies; message status callbacks), and the sender the drip runner uses. Webhooks are
 * authenticated by `X-Twilio-Signature` under the workspace's auth token, verified with twilio's own
 * `validateRequest`.
 */

export const SmsSettingsInputSchema = z.strictObject({
  accountSid: z.string().trim().regex(/^AC[0-9a-fA-F]{32}$/, { error: 'must be a Twilio account SID (AC followed by 32 hex digits)' }),
  /** Empty: keep the stored one. */
  authToken: z
    .string()
    .trim()
    .regex(/^[0-9a-fA-F]{32}$/, { error: 'must be a Twilio auth token (32 hex digits)' })
    .optional()
    .or(z.literal('').transform(() => undefined)),
  fromNumber: z.string().trim().max(40).optional().default(''),
  messagingServiceSid: z
    .string()
    .trim()
    .regex(/^(MG[0-9a-fA-F]{32})?$/, { error: 'must be a messaging service SID (MG followed by 32 hex digits)' })
    .optional()
    .default(''),
  pricePerSegment: z.coerce.number({ error: 'must be a number' }).min(0, { error: 'must not be negative' }).max(10, { error: 'must be at most 10' }).default(0.0079),
  currency: z.string().trim().regex(/^[A-Z]{3}$/, { error: 'must be a currency code like USD' }).default('USD'),
  helpText: z.string().trim().max(300).optional().default(''),
})
export type SmsSettingsInput = z.input<typeof SmsSettingsInputSchema>

export type SmsSettingsView = {
  configured: boolean
  accountSid: string | null
  fromNumber: string | null
  messagingServiceSid: string | null
  pricePerSegment: number
  currency: string
  helpText: string | null
  /** Where Twilio posts inbound texts and status changes (set the first on the number in Twilio's console). */
  inboundUrl: string
  statusUrl: string
}

export function smsWebhookUrls(services: Pick<Services, 'config'>, workspaceId: string): { inboundUrl: string; statusUrl: string } {
  const base = services.config.APP_URL.replace(/\/+$/, '')
  return { inboundUrl: `${base}/webhooks/twilio/${workspaceId}/inbound`, statusUrl: `${base}/webhooks/twilio/${workspaceId}/status` }
}

export async function smsConfigured(db: DbOrTx, args: { workspaceId: string }): Promise<boolean> {
  const row = await getSmsSettingsRow(db, args)
  return !!row?.accountId && !!(row.fromNumber || row.messagingServiceSid)
}

export async function getSmsSettings(services: Services, args: { workspaceId: string }): Promise<SmsSettingsView> {
  const row = await getSmsSettingsRow(services.database.db, args)
  let accountSid: string | null = null
  if (row?.accountId) accountSid = (await getAccountCredentials(services.database.db, { workspaceId: args.workspaceId, accountId: row.accountId, keyring: services.keyring }).catch(() => null))?.extra?.accountSid ?? null
  return {
    configured: !!row?.accountId && !!(row.fromNumber || row.messagingServiceSid),
    accountSid,
    fromNumber: row?.fromNumber ?? null,
    messagingServiceSid: row?.messagingServiceSid ?? null,
    pricePerSegment: row?.pricePerSegment ?? 0.0079,
    currency: row?.currency ?? 'USD',
    helpText: row?.helpText ?? null,
    ...smsWebhookUrls(services, args.workspaceId),
  }
}

/** Save the Twilio settings: 400 naming the field for bad input, nothing half-saved (the account and the settings row in one transaction). */
export async function saveSmsSettings(services: Services, args: { workspaceId: string; input: unknown }): Promise<SmsSettingsView> {
  const parsed = SmsSettingsInputSchema.safeParse(args.input)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!
    const field = issue.code === 'unrecognized_keys' ? issue.keys[0]! : issue.path.map(String).join('.') || 'input'
    throw new InputError(field, `${field}: ${issue.message}`)
  }
  const input = parsed.data
  let fromNumber: string | null = null
  if (input.fromNumber) {
    const phone = normalisePhone(input.fromNumber)
    if (!phone.ok) throw new InputError('fromNumber', `fromNumber: ${phone.message}`)
    fromNumber = phone.e164
  }
  const messagingServiceSid = input.messagingServiceSid || null
  if (!fromNumber && !messagingServiceSid) throw new InputError('fromNumber', 'fromNumber: give the number texts come from, or a messaging service SID')
  const db = services.database.db
  const existing = await getSmsSettingsRow(db, { workspaceId: args.workspaceId })
  let authToken = input.authToken
  if (!authToken && existing?.accountId) {
    const stored = await getAccountCredentials(db, { workspaceId: args.workspaceId, accountId: existing.accountId, keyring: services.keyring }).catch(() => null)
    if (stored?.extra?.accountSid === input.accountSid) authToken = stored.accessToken
  }
  if (!authToken) throw new InputError('authToken', 'authToken: enter the auth token of this Twilio account')
  const at = services.clock.now()
  const account = await connectAccount(db, {
    workspaceId: args.workspaceId,
    kind: 'sms',
    remoteAccountId: input.accountSid,
    handle: fromNumber ?? messagingServiceSid!,
    displayName: 'Twilio',
    credentials: twilioCredentials({ accountSid: input.accountSid, authToken, from: fromNumber, messagingServiceSid }),
    keyring: services.keyring,
    clock: services.clock,
  })
  await upsertSmsSettings(db, {
    workspaceId: args.workspaceId,
    accountId: account.id,
    fromNumber,
    messagingServiceSid,
    pricePerSegment: input.pricePerSegment,
    currency: input.currency,
    helpText: input.helpText || null,
    at,
  })
  return getSmsSettings(services, args)
}

export type SmsSender = { settings: SmsSettingsRow; credentials: Credentials } | { problem: string }

/** The drip runner's SMS sender of a workspace (credentials opened from the vault), or why there is none. */
export async function smsSenderFor(deps: { db: Db; keyring: Keyring }, args: { workspaceId: string }): Promise<SmsSender> {
  const settings = await getSmsSettingsRow(deps.db, args)
  if (!settings?.accountId || !(settings.fromNumber || settings.messagingServiceSid)) return { problem: 'SMS is not set up (Settings → SMS)' }
  try {
    const stored = await getAccountCredentials(deps.db, { workspaceId: args.workspaceId, accountId: settings.accountId, keyring: deps.keyring })
    // The sender of the settings row wins over what the account was saved with.
    const extra = { ...stored.extra }
    delete extra.from
    delete extra.messagingServiceSid
    if (settings.messagingServiceSid) extra.messagingServiceSid = settings.messagingServiceSid
    else if (settings.fromNumber) extra.from = settings.fromNumber
    return { settings, credentials: { ...stored, extra } }
  } catch (error) {
    return { problem: `SMS credentials: ${(error as Error).message}` }
  }
}

// ─── Webhooks ────────────────────────────────────────────────────────────────────────────────────

export class WebhookSignatureError extends Error {
  override name = 'WebhookSignatureError'
}

export type TwilioWebhookArgs = { workspaceId: string; /** The URL Twilio requested (APP_URL + path + query). */ url: string; signature: string | null; params: Record<string, string> }

async function verifyTwilio(services: Services, args: TwilioWebhookArgs): Promise<void> {
  if (!args.signature) throw new WebhookSignatureError('X-Twilio-Signature is missing')
  const row = await getSmsSettingsRow(services.database.db, { workspaceId: args.workspaceId })
  if (!row?.accountId) throw new WebhookSignatureError('SMS is not set up for this workspace')
  const credentials = await getAccountCredentials(services.database.db, { workspaceId: args.workspaceId, accountId: row.accountId, keyring: services.keyring })
  const twilio = (await import('twilio')).default
  if (!twilio.validateRequest(credentials.accessToken, args.signature, args.url, args.params)) throw new WebhookSignatureError('X-Twilio-Signature does not match')
  if (args.params.AccountSid && args.params.AccountSid !== credentials.extra?.accountSid) throw new WebhookSignatureError('AccountSid is not this workspace’s')
}

/** TwiML answering an inbound text: empty, or one message (HELP). */
export async function inboundTwiml(reply: string | null): Promise<string> {
  const twilio = (await import('twilio')).default
  const response = new twilio.twiml.MessagingResponse()
  if (reply) response.message(reply)
  return response.toString()
}

/** A Twilio webhook request: the workspace in its path, its form fields, and the URL it was signed for (APP_URL + path + query). */
export function twilioWebhookArgs(services: Pick<Services, 'config'>, args: { workspaceId: string; requestUrl: string; signature: string | null; form: FormData }): TwilioWebhookArgs {
  const url = new URL(args.requestUrl)
  const params: Record<string, string> = {}
  for (const [key, value] of args.form.entries()) if (typeof value === 'string') params[key] = value
  return { workspaceId: args.workspaceId, url: `${services.config.APP_URL.replace(/\/+$/, '')}${url.pathname}${url.search}`, signature: args.signature, params }
}

export type InboundOutcome = { kind: InboundKind; contacts: number; enrolled: number; /** The text to answer with (TwiML), if any. */ reply: string | null }

/**
 * An inbound text (Twilio's messaging webhook): STOP words suppress SMS to the number (email is
 * untouched), START words lift that, HELP answers with the workspace's help text; any other text is a
 * reply (a contact event, and the `sms_reply` triggers). Throws WebhookSignatureError for a bad signature.
 */
export async function handleInboundSms(services: Services, args: TwilioWebhookArgs): Promise<InboundOutcome> {
  await verifyTwilio(services, args)
  const from = normalisePhone(args.params.From ?? '')
  if (!from.ok) throw new InputError('From', `From: ${from.message}`)
  const phone = from.e164
  const body = (args.params.Body ?? '').slice(0, 1600)
  const kind = classifyInbound(body)
  const db = services.database.db
  const at = services.clock.now()
  const { workspaceId } = args
  const contacts = await findContactsByPhone(db, { workspaceId, phone })
  const messageSid = args.params.MessageSid ?? args.params.SmsSid ?? null
  const record = (tx: DbOrTx, type: 'sms_reply' | 'sms_opted_out' | 'sms_opted_in') =>
    Promise.all(
      contacts.map((c) =>
        insertContactEvent(tx, { workspaceId, contactId: c.id, type, name: keywordOf(body), properties: { body, from: phone }, eventKey: messageSid ? `sms:${messageSid}:${c.id}` : null, occurredAt: at }),
      ),
    )
  const settings = await getSmsSettingsRow(db, { workspaceId })
  if (kind === 'stop') {
    await db.transaction(async (tx) => {
      await suppressPhone(tx, { workspaceId, phone, reason: 'stop_keyword', detail: body.trim().toUpperCase(), at })
      await record(tx, 'sms_opted_out')
    })
    return { kind, contacts: contacts.length, enrolled: 0, reply: null }
  }
  if (kind === 'start') {
    await db.transaction(async (tx) => {
      await liftPhoneSuppression(tx, { workspaceId, phone })
      await record(tx, 'sms_opted_in')
    })
    return { kind, contacts: contacts.length, enrolled: 0, reply: null }
  }
  if (kind === 'help') {
    return { kind, contacts: contacts.length, enrolled: 0, reply: settings?.helpText ?? 'Reply STOP to stop texts, START to get them again.' }
  }
  const inserted = (await record(db, 'sms_reply')).filter((r) => r !== null)
  // A redelivered webhook (same MessageSid) enrolls no one twice: only new events enroll.
  let enrolled = 0
  if (inserted.length) {
    const word = keywordOf(body)
    const drips = (await findTriggeredDrips(db, { workspaceId, kind: 'sms_reply' })).filter((d) => d.settings.triggers.some((t) => t.kind === 'sms_reply' && (!t.keyword || t.keyword === word)))
    for (const row of drips) {
      const drip = await getDripRow(db, { workspaceId, dripId: row.id })
      if (!drip) continue
      for (const event of inserted) {
        const contact = await getContact(db, { workspaceId, contactId: event!.contactId })
        if (!contact) continue
        const source = `sms_reply:${word ?? '*'}`
        if ((await enrollInto(services, { drip, contact, source, enrollKey: messageSid ? `sms:${messageSid}` : null })).created) enrolled++
      }
    }
    if (enrolled) await wakeDripRunner(services)
  }
  return { kind, contacts: contacts.length, enrolled, reply: null }
}

/**
 * A message status callback: moves the delivery's carrier status forward (queued → sent → delivered /
 * undelivered / failed); a failure is recorded on the delivery, and Twilio's 21610 (the number opted
 * out at the carrier) suppresses the number. Unknown message SIDs are ignored (another system's message).
 */
export async function applySmsStatusCallback(services: Services, args: TwilioWebhookArgs): Promise<{ applied: boolean }> {
  await verifyTwilio(services, args)
  const status = args.params.MessageStatus ?? args.params.SmsStatus ?? ''
  if (!isSmsStatus(status)) throw new InputError('MessageStatus', `MessageStatus: unknown status “${status.slice(0, 40)}”`)
  const messageSid = args.params.MessageSid ?? args.params.SmsSid ?? ''
  const db = services.database.db
  const at = services.clock.now()
  const delivery = await findSmsDelivery(db, { workspaceId: args.workspaceId, messageSid })
  if (!delivery) return { applied: false }
  const change = applySmsStatus({ current: delivery.providerStatus, next: status, errorCode: args.params.ErrorCode ?? null })
  if (!change.change) return { applied: false }
  const applied = await db.transaction(async (tx) => {
    const ok = await recordSmsStatus(tx, { workspaceId: args.workspaceId, deliveryId: delivery.id, current: delivery.providerStatus, next: change.providerStatus, failed: change.failed, at })
    if (ok && args.params.ErrorCode === '21610' && args.params.To) {
      const to = normalisePhone(args.params.To)
      if (to.ok) await suppressPhone(tx, { workspaceId: args.workspaceId, phone: to.e164, reason: 'carrier_opt_out', detail: 'Twilio 21610 (status callback)', at })
    }
    return ok
  })
  return { applied }
}
