import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto'
import { z } from 'zod'
import { smtpSettingsOf } from '../connectors/email/index'
import { getAccountCredentials, updateAccountCredentials } from '../db/queries/accounts'
import { getEmailSettings } from '../db/queries/contacts'
import { recordAuditEvent } from './audit.server'
import { InputError } from './errors'
import type { Services } from './services.server'

/**
 * DKIM per sender domain (decision 078): a domain, a selector and an RSA private key, pasted or
 * generated here (2048 bits). The key is kept in the sender account's vault-sealed credentials, next
 * to the SMTP password, and never shown again; the page shows the public half as the DNS TXT record.
 */

const DOMAIN = /^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)+$/i
const SELECTOR = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/i

/** The DKIM form of the sender page (app/routes/app.contacts.sender.tsx). */
export const DkimFormSchema = z
  .object({
    intent: z.literal('save-dkim'),
    domain: z.string().trim().toLowerCase().regex(DOMAIN, 'Enter the domain you send from, like example.com (no spaces, scheme or @)'),
    selector: z.string().trim().toLowerCase().regex(SELECTOR, 'Enter a selector of letters, digits and hyphens, like trickle1 (no spaces)'),
    key: z.enum(['generate', 'paste']),
    privateKey: z.string().max(20_000, 'The key is too long').optional(),
  })
  .refine((v) => v.key === 'generate' || (v.privateKey ?? '').trim() !== '', { path: ['privateKey'], message: 'Paste the PEM RSA private key, or choose to generate one' })

export type DkimForm = z.infer<typeof DkimFormSchema>

/** What the page may show: never the private key. */
export type DkimView = { domain: string; selector: string; recordName: string; recordValue: string; bits: number }

/** The TXT record to publish for a key: `<selector>._domainkey.<domain>` → `v=DKIM1; k=rsa; p=<base64 SPKI>`. */
export function dkimRecord(args: { domain: string; selector: string; key: KeyObject }): DkimView {
  const spki = createPublicKey(args.key).export({ type: 'spki', format: 'der' })
  return {
    domain: args.domain,
    selector: args.selector,
    recordName: `${args.selector}._domainkey.${args.domain}`,
    recordValue: `v=DKIM1; k=rsa; p=${spki.toString('base64')}`,
    bits: args.key.asymmetricKeyDetails?.modulusLength ?? 0,
  }
}

function pastedKey(pem: string): KeyObject {
  const text = pem.trim()
  if (!/^-----BEGIN (RSA )?PRIVATE KEY-----/.test(text)) throw new InputError('privateKey', 'The key must be a PEM RSA private key (-----BEGIN PRIVATE KEY----- or -----BEGIN RSA PRIVATE KEY-----)')
  let key: KeyObject
  try {
    key = createPrivateKey({ key: text, format: 'pem' })
  } catch {
    throw new InputError('privateKey', 'The key could not be read as a PEM RSA private key (unencrypted)')
  }
  if (key.asymmetricKeyType !== 'rsa') throw new InputError('privateKey', `The key is an ${key.asymmetricKeyType ?? 'unknown'} key, not an RSA key: DKIM here signs with RSA (rsa-sha256)`)
  const bits = key.asymmetricKeyDetails?.modulusLength ?? 0
  if (bits < 1024) throw new InputError('privateKey', `The key has ${bits} bits: use at least 1024 (2048 recommended)`)
  return key
}

async function senderAccount(services: Services, workspaceId: string) {
  const settings = await getEmailSettings(services.database.db, { workspaceId })
  if (!settings?.senderAccountId) throw new InputError('domain', 'Save the sender (SMTP) first: DKIM signs the mail it sends', { status: 409 })
  return { accountId: settings.senderAccountId, fromEmail: settings.fromEmail }
}

/** Save the sender's DKIM key (pasted or generated). Nothing is stored when any field is bad. */
export async function saveDkim(services: Services, args: { workspaceId: string; actorUserId: string; form: DkimForm }): Promise<DkimView> {
  const { form, workspaceId } = args
  const key = form.key === 'generate' ? generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey : pastedKey(form.privateKey!)
  const { accountId } = await senderAccount(services, workspaceId)
  const privateKey = key.export({ type: 'pkcs8', format: 'pem' }).toString()
  await updateAccountCredentials(services.database.db, {
    workspaceId,
    accountId,
    credentials: { accessToken: '', extra: { dkimDomain: form.domain, dkimSelector: form.selector, dkimPrivateKey: privateKey } },
    keyring: services.keyring,
    clock: services.clock,
  })
  const view = dkimRecord({ domain: form.domain, selector: form.selector, key })
  await recordAuditEvent(services, {
    workspaceIds: workspaceId,
    kind: 'dkim.updated',
    actorUserId: args.actorUserId,
    target: { type: 'account', id: accountId },
    detail: { domain: form.domain, selector: form.selector, generated: form.key === 'generate', bits: view.bits },
  })
  return view
}

/** Stop signing: the key is erased from the vault (empty fields), the sender keeps working unsigned. */
export async function removeDkim(services: Services, args: { workspaceId: string; actorUserId: string }): Promise<void> {
  const { workspaceId } = args
  const { accountId } = await senderAccount(services, workspaceId)
  await updateAccountCredentials(services.database.db, {
    workspaceId,
    accountId,
    credentials: { accessToken: '', extra: { dkimDomain: '', dkimSelector: '', dkimPrivateKey: '' } },
    keyring: services.keyring,
    clock: services.clock,
  })
  await recordAuditEvent(services, { workspaceIds: workspaceId, kind: 'dkim.removed', actorUserId: args.actorUserId, target: { type: 'account', id: accountId }, detail: {} })
}

/** The sender's DKIM setup as the page shows it, or null (no sender, or no key yet). */
export async function loadDkim(services: Services, args: { workspaceId: string }): Promise<DkimView | null> {
  const settings = await getEmailSettings(services.database.db, args)
  if (!settings?.senderAccountId) return null
  try {
    const credentials = await getAccountCredentials(services.database.db, { workspaceId: args.workspaceId, accountId: settings.senderAccountId, keyring: services.keyring })
    const dkim = smtpSettingsOf(credentials).dkim
    return dkim ? dkimRecord({ domain: dkim.domainName, selector: dkim.keySelector, key: createPrivateKey(dkim.privateKey) }) : null
  } catch {
    return null
  }
}
