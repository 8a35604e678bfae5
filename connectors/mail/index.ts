import type { Clock } from '../../domain/clock'
import type { PostalAddress } from '../../domain/mail/address'
import { ConnectorError, type ChannelContent, type Connector, type ContentProblem, type Credentials, type PublishArgs, type PublishResult } from '../types'

/**
 * Direct mail through Lob's API with the official `@lob/lob-typescript-sdk` (docs/decisions/082-direct-mail-step.md):
 * a postcard (front and back HTML) or a letter (HTML) with merge variables to one address per publish
 * (`content.mail`), with Lob's `Idempotency-Key` (the delivery's key: one piece per enrollment and step even
 * when a publish is repeated), and US address verification before a first send. `apiBaseUrl` points the SDK at
 * another host that speaks the same API (a loopback server in tests). Credentials: the API key (`accessToken`).
 */

export type MailConnectorConfig = {
  /** Default https://api.lob.com/v1. */
  apiBaseUrl?: string
  clock?: Clock
}

export type MailContent = NonNullable<ChannelContent['mail']>
export type Deliverability = { deliverability: string; address: PostalAddress | null }

type Sdk = typeof import('@lob/lob-typescript-sdk')
let sdk: Promise<Sdk> | null = null
const loadSdk = () => (sdk ??= import('@lob/lob-typescript-sdk'))

export type MailConnector = Connector<'mail'> & {
  /** Lob's US verification of an address (`deliverable`, `undeliverable`, …) and its corrected form. */
  verifyAddress(args: { credentials: Credentials; address: PostalAddress }): Promise<Deliverability>
}

const lobAddress = (a: PostalAddress) => ({ name: a.name, address_line1: a.line1, address_line2: a.line2 ?? null, address_city: a.city, address_state: a.state, address_zip: a.zip, address_country: 'US' as const })

export function createMailConnector(config: MailConnectorConfig = {}): MailConnector {
  const basePath = config.apiBaseUrl?.replace(/\/+$/, '')
  const clock = config.clock ?? { now: () => new Date() }
  const configuration = async (credentials: Credentials) => {
    if (!credentials.accessToken) throw new ConnectorError('auth', 'Lob: the API key is not set')
    const lob = await loadSdk()
    return { lob, config: new lob.Configuration({ username: credentials.accessToken, ...(basePath ? { basePath } : {}) }) }
  }
  return {
    kind: 'mail',
    displayName: 'Direct mail (Lob)',
    reads: 'mail',
    limits: { maxLength: 10_000, maxMediaPerPost: 0, maxThreadLength: 1 },
    validate(content): ContentProblem[] {
      const mail = content.mail
      if (!mail) return [{ path: 'mail', message: 'a direct-mail connector sends a postcard or letter (content.mail)' }]
      const problems: ContentProblem[] = []
      if (mail.piece === 'postcard' && (!mail.front?.trim() || !mail.back?.trim())) problems.push({ path: 'mail.front', message: 'a postcard needs a front and a back' })
      if (mail.piece === 'letter' && !mail.file?.trim()) problems.push({ path: 'mail.file', message: 'a letter needs its HTML' })
      return problems
    },
    async prepare() {
      await loadSdk()
    },
    async publish(args: PublishArgs): Promise<PublishResult> {
      if (args.resume?.partIds.length) return { remoteId: args.resume.partIds[0]!, partIds: args.resume.partIds.slice(0, 1) }
      const mail = args.content.mail
      const problems = this.validate(args.content)
      if (!mail || problems.length) throw new ConnectorError('invalid-content', problems.map((p) => `${p.path}: ${p.message}`).join('; '))
      const { lob, config: c } = await configuration(args.credentials)
      const common = { to: lobAddress(mail.to), from: lobAddress(mail.from), merge_variables: mail.mergeVariables ?? null, metadata: mail.metadata ?? undefined }
      try {
        if (mail.piece === 'postcard') {
          const piece = await new lob.PostcardsApi(c).create(new lob.PostcardEditable({ ...common, front: mail.front, back: mail.back, size: mail.size ?? '4x6' }), args.idempotencyKey)
          return { remoteId: piece.id, url: piece.url }
        }
        const piece = await new lob.LettersApi(c).create(new lob.LetterEditable({ ...common, file: mail.file, color: mail.color ?? false, use_type: 'marketing' }), args.idempotencyKey)
        return { remoteId: piece.id, url: piece.url }
      } catch (error) {
        throw toConnectorError(error, clock.now())
      }
    },
    async verifyAddress({ credentials, address }) {
      const { lob, config: c } = await configuration(credentials)
      try {
        const v = await new lob.UsVerificationsApi(c).verifySingle(new lob.UsVerificationsWritable({ primary_line: address.line1, secondary_line: address.line2 ?? '', city: address.city, state: address.state, zip_code: address.zip }))
        const deliverability = String(v.deliverability ?? 'unknown')
        const corrected = v.primary_line ? { name: address.name, line1: v.primary_line, line2: v.secondary_line || undefined, city: v.components?.city ?? address.city, state: v.components?.state ?? address.state, zip: v.components?.zip_code ?? address.zip } : null
        return { deliverability, address: corrected }
      } catch (error) {
        const e = toConnectorError(error, clock.now())
        // A verification is a read: any failure is safe to retry.
        throw e.kind === 'unknown-outcome' ? new ConnectorError('transient', e.message, { detail: e.detail, cause: e }) : e
      }
    },
  }
}

/** Lob's errors (`{ error: { message, status_code, code } }`) in the connector taxonomy; a create with an idempotency key is safe to repeat, but a 5xx still does not prove it did not apply. */
function toConnectorError(error: unknown, now: Date): ConnectorError {
  if (error instanceof ConnectorError) return error
  const e = error as { response?: { status?: number; headers?: Record<string, string>; data?: { error?: { message?: string; code?: string } } }; code?: string; message?: string }
  const status = e.response?.status
  if (typeof status === 'number') {
    const code = e.response?.data?.error?.code
    const detail = { status, ...(code ? { code } : {}) }
    const message = `Lob ${status}${code ? ` (${code})` : ''}: ${e.response?.data?.error?.message ?? e.message ?? 'request failed'}`
    if (status === 401 || status === 403) return new ConnectorError('auth', message, { detail, cause: error })
    if (status === 429) {
      const reset = Number(e.response?.headers?.['x-rate-limit-reset'])
      return new ConnectorError('rate-limited', message, { detail, resetAt: Number.isFinite(reset) && reset > 0 ? new Date(reset * 1000) : new Date(now.getTime() + 60_000), cause: error })
    }
    if (status >= 500) return new ConnectorError('unknown-outcome', message, { detail, cause: error })
    return new ConnectorError('invalid-content', message, { detail, cause: error })
  }
  if (e.code === 'ECONNREFUSED' || e.code === 'ENOTFOUND' || e.code === 'EAI_AGAIN') return new ConnectorError('transient', `Lob unreachable: ${e.code}`, { cause: error })
  return new ConnectorError('unknown-outcome', `Lob: ${e.message ?? String(error)}`, { cause: error })
}

/** The registry types every connector as `Connector`; the drip runner needs the mail connector's address verification too. */
export function isMailConnector(c: Connector | undefined): c is MailConnector {
  return !!c && c.kind === 'mail' && typeof (c as Partial<MailConnector>).verifyAddress === 'function'
}
