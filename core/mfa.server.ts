import { randomInt } from 'node:crypto'
import { Secret, TOTP } from 'otpauth'
import QRCode from 'qrcode'
import { consumeRecoveryCode, countUnusedRecoveryCodes, replaceRecoveryCodes } from '../db/queries/recovery-codes'
import { advanceTotpStep, disableTotp, enableTotp, getUserById, setPendingTotp } from '../db/queries/users'
import { openTotpSecret, sealTotpSecret } from '../db/vault'
import { reportAccountEvent } from './account-events'
import { hashSecret } from './secrets'
import type { Services } from './services.server'

/**
 * The second factor: TOTP (RFC 6238: SHA-1, 6 digits, 30 s, one step of drift either way) with ten
 * single-use recovery codes. The secret is sealed by the vault (db/vault.ts) under the user's id; the
 * codes are kept as sha256 hashes (120 random bits each, so no salt or slow hash is needed).
 */

const PERIOD_S = 30
const RECOVERY_CODES = 10
/** Base32 without look-alikes (no 0/1/l/o); 24 characters = 120 bits. */
const CODE_ALPHABET = 'abcdefghijkmnpqrstuvwxyz23456789'
const CODE_LENGTH = 24

type UserRow = NonNullable<Awaited<ReturnType<typeof getUserById>>>

function totpFor(user: Pick<UserRow, 'email'>, secret: string): TOTP {
  return new TOTP({ issuer: 'Trickle', label: user.email, algorithm: 'SHA1', digits: 6, period: PERIOD_S, secret: Secret.fromBase32(secret) })
}

/** The step a code matches at `now` (one step of drift allowed), or null. */
function matchingStep(totp: TOTP, code: string, now: Date): number | null {
  const token = code.replace(/\s+/g, '')
  if (!/^\d{6}$/.test(token)) return null
  const delta = totp.validate({ token, timestamp: now.getTime(), window: 1 })
  return delta === null ? null : Math.floor(now.getTime() / 1000 / PERIOD_S) + delta
}

function normalizeRecoveryCode(code: string): string {
  return code.toLowerCase().replace(/[^a-z0-9]/g, '')
}

function newRecoveryCode(): string {
  const chars = Array.from({ length: CODE_LENGTH }, () => CODE_ALPHABET[randomInt(CODE_ALPHABET.length)]).join('')
  return chars.match(/.{6}/g)!.join('-')
}

async function issueRecoveryCodes(services: Services, userId: string): Promise<string[]> {
  const codes = Array.from({ length: RECOVERY_CODES }, newRecoveryCode)
  await replaceRecoveryCodes(services.database.db, { userId, codeHashes: codes.map((c) => hashSecret(normalizeRecoveryCode(c))), at: services.clock.now() })
  return codes
}

export type TotpStatus =
  | { state: 'off' }
  | { state: 'enrolling'; secret: string; uri: string; qrCodeDataUrl: string }
  | { state: 'on'; since: Date; recoveryCodesLeft: number }

/** What the security settings show: off, half-way through enrolment (with the secret and its QR code), or on. */
export async function loadTotpStatus(services: Services, args: { userId: string }): Promise<TotpStatus> {
  const db = services.database.db
  const user = await getUserById(db, args)
  if (!user?.totpSecretCiphertext) return { state: 'off' }
  if (user.totpEnabledAt) return { state: 'on', since: user.totpEnabledAt, recoveryCodesLeft: await countUnusedRecoveryCodes(db, args) }
  const secret = openTotpSecret({ keyring: services.keyring, userId: user.id, ciphertext: user.totpSecretCiphertext })
  const uri = totpFor(user, secret).toString()
  return { state: 'enrolling', secret, uri, qrCodeDataUrl: await QRCode.toDataURL(uri, { margin: 1, width: 220 }) }
}

/** Start (or restart) enrolment: a new secret, sealed, not in force until confirmed with a code. Refused while TOTP is on. */
export async function startTotpEnrolment(services: Services, args: { userId: string }): Promise<boolean> {
  const user = await getUserById(services.database.db, args)
  if (!user || user.totpEnabledAt) return false
  const secret = new Secret({ size: 20 }).base32
  await setPendingTotp(services.database.db, { userId: user.id, secretCiphertext: sealTotpSecret({ keyring: services.keyring, userId: user.id, secret }) })
  return true
}

/** Confirm enrolment with a code from the app: TOTP is on, and the recovery codes are returned (shown once). */
export async function confirmTotpEnrolment(services: Services, args: { userId: string; code: string }): Promise<{ ok: true; recoveryCodes: string[] } | { ok: false }> {
  const user = await getUserById(services.database.db, { userId: args.userId })
  if (!user?.totpSecretCiphertext || user.totpEnabledAt) return { ok: false }
  const secret = openTotpSecret({ keyring: services.keyring, userId: user.id, ciphertext: user.totpSecretCiphertext })
  const now = services.clock.now()
  const step = matchingStep(totpFor(user, secret), args.code, now)
  if (step === null) return { ok: false }
  await enableTotp(services.database.db, { userId: user.id, step, at: now })
  const recoveryCodes = await issueRecoveryCodes(services, user.id)
  await reportAccountEvent(services, { type: 'totp-enabled', userId: user.id })
  return { ok: true, recoveryCodes }
}

/** Turn TOTP off (the user, who has entered the password again, or the operator's CLI); the recovery codes go with it. */
export async function turnOffTotp(services: Pick<Services, 'database' | 'clock' | 'onAccountEvent'>, args: { userId: string; by?: 'user' | 'operator' }): Promise<void> {
  await services.database.db.transaction(async (tx) => {
    await disableTotp(tx, args)
    await replaceRecoveryCodes(tx, { userId: args.userId, codeHashes: [], at: services.clock.now() })
  })
  await reportAccountEvent(services, { type: 'totp-disabled', userId: args.userId, by: args.by ?? 'user' })
}

/** New recovery codes replace all the old ones (the caller has checked the password again). */
export async function renewRecoveryCodes(services: Services, args: { userId: string }): Promise<string[] | null> {
  const user = await getUserById(services.database.db, args)
  if (!user?.totpEnabledAt) return null
  const codes = await issueRecoveryCodes(services, user.id)
  await reportAccountEvent(services, { type: 'recovery-codes-renewed', userId: user.id })
  return codes
}

/**
 * Check a second factor at log-in: a 6-digit TOTP code not used before (each step is accepted once),
 * or an unused recovery code (then used up). Which one matched, or null.
 */
export async function verifySecondFactor(services: Services, args: { user: UserRow; code: string }): Promise<'totp' | 'recovery-code' | null> {
  const { user } = args
  if (!user.totpEnabledAt || !user.totpSecretCiphertext) return null
  const db = services.database.db
  const now = services.clock.now()
  const secret = openTotpSecret({ keyring: services.keyring, userId: user.id, ciphertext: user.totpSecretCiphertext })
  const step = matchingStep(totpFor(user, secret), args.code, now)
  if (step !== null) return (await advanceTotpStep(db, { userId: user.id, step })) ? 'totp' : null
  const normalized = normalizeRecoveryCode(args.code)
  if (normalized.length !== CODE_LENGTH) return null
  if (!(await consumeRecoveryCode(db, { userId: user.id, codeHash: hashSecret(normalized), now }))) return null
  await reportAccountEvent(services, { type: 'recovery-code-used', userId: user.id, remaining: await countUnusedRecoveryCodes(db, { userId: user.id }) })
  return 'recovery-code'
}
