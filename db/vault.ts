import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto'
import { and, asc, eq, gt, ne } from 'drizzle-orm'
import type { Credentials } from '../connectors/types'
import type { Db } from './client'
import { accounts } from './schema'

/**
 * The token vault: account credentials are stored only as AES-256-GCM ciphertext.
 * Sealed format: `v<keyVersion>.<nonce>.<ciphertext>.<tag>` (base64url parts). The associated data binds
 * a ciphertext to its account id and key version, so a value copied onto another row does not open.
 */

export type Keyring = {
  /** The version new writes are sealed with. */
  current: number
  /** Every key that may still be needed to read: version → 32-byte key. */
  keys: ReadonlyMap<number, Buffer>
}

export class VaultError extends Error {
  override name = 'VaultError'
}

/**
 * Build a keyring from configuration: the current key (base64, 32 bytes) and its version, plus older
 * keys kept for reading while `reencryptAccounts` moves rows to the current one.
 * `previousKeys` is `"<version>:<base64>,<version>:<base64>"` (e.g. from TOKEN_ENCRYPTION_PREVIOUS_KEYS).
 */
export function createKeyring(args: { currentKey: string; currentVersion: number; previousKeys?: string }): Keyring {
  const keys = new Map<number, Buffer>()
  keys.set(args.currentVersion, decodeKey(args.currentKey, 'TOKEN_ENCRYPTION_KEY'))
  for (const entry of (args.previousKeys ?? '').split(',').map((s) => s.trim()).filter(Boolean)) {
    const match = /^(\d+):(.+)$/.exec(entry)
    if (!match) throw new VaultError('TOKEN_ENCRYPTION_PREVIOUS_KEYS: each entry must be "<version>:<base64 key>"')
    const version = Number(match[1])
    if (version === args.currentVersion) {
      throw new VaultError(`TOKEN_ENCRYPTION_PREVIOUS_KEYS: version ${version} is the current version`)
    }
    keys.set(version, decodeKey(match[2]!, `TOKEN_ENCRYPTION_PREVIOUS_KEYS (version ${version})`))
  }
  if (!Number.isInteger(args.currentVersion) || args.currentVersion < 1) {
    throw new VaultError('TOKEN_ENCRYPTION_KEY_VERSION: must be a positive integer')
  }
  return { current: args.currentVersion, keys }
}

function decodeKey(base64: string, field: string): Buffer {
  const key = Buffer.from(base64, 'base64')
  if (key.length !== 32) throw new VaultError(`${field}: must be 32 bytes, base64-encoded (openssl rand -base64 32)`)
  return key
}

function associatedData(accountId: string, version: number): Buffer {
  return Buffer.from(`trickle.account.${accountId}.v${version}`, 'utf8')
}

export type SealedCredentials = { ciphertext: string; keyVersion: number }

/** AES-256-GCM under the keyring's current key; `aad` (given the version) binds the value to its row and purpose. */
function seal(keyring: Keyring, plaintext: string, aad: (version: number) => Buffer): SealedCredentials {
  const version = keyring.current
  const key = keyring.keys.get(version)
  if (!key) throw new VaultError(`no key for the current version ${version}`)
  const nonce = randomBytes(12)
  const cipher = createCipheriv('aes-256-gcm', key, nonce)
  cipher.setAAD(aad(version))
  const body = Buffer.concat([cipher.update(Buffer.from(plaintext, 'utf8')), cipher.final()])
  const tag = cipher.getAuthTag()
  const parts = [nonce, body, tag].map((b) => b.toString('base64url'))
  return { ciphertext: `v${version}.${parts.join('.')}`, keyVersion: version }
}

function open(keyring: Keyring, ciphertext: string, aad: (version: number) => Buffer, what: string): string {
  const match = /^v(\d+)\.([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]*)\.([A-Za-z0-9_-]+)$/.exec(ciphertext)
  if (!match) throw new VaultError(`sealed ${what} are malformed`)
  const version = Number(match[1])
  const key = keyring.keys.get(version)
  if (!key) throw new VaultError(`no key for version ${version}: add it to TOKEN_ENCRYPTION_PREVIOUS_KEYS`)
  const [nonce, body, tag] = [match[2]!, match[3]!, match[4]!].map((p) => Buffer.from(p, 'base64url'))
  if (nonce!.length !== 12 || tag!.length !== 16) throw new VaultError(`sealed ${what} are malformed`)
  const decipher = createDecipheriv('aes-256-gcm', key, nonce!)
  decipher.setAAD(aad(version))
  decipher.setAuthTag(tag!)
  try {
    return Buffer.concat([decipher.update(body!), decipher.final()]).toString('utf8')
  } catch {
    throw new VaultError(`sealed ${what} failed authentication (tampered, wrong row or wrong key)`)
  }
}

export function sealCredentials(args: { keyring: Keyring; accountId: string; credentials: Credentials }): SealedCredentials {
  return seal(args.keyring, JSON.stringify(serialize(args.credentials)), (version) => associatedData(args.accountId, version))
}

export function openCredentials(args: { keyring: Keyring; accountId: string; ciphertext: string }): Credentials {
  const plaintext = open(args.keyring, args.ciphertext, (version) => associatedData(args.accountId, version), 'credentials')
  return deserialize(JSON.parse(plaintext))
}

/** A user's TOTP secret (base32), bound to the user's id so a value copied onto another user does not open. */
export function sealTotpSecret(args: { keyring: Keyring; userId: string; secret: string }): string {
  return seal(args.keyring, args.secret, (version) => Buffer.from(`trickle.user-totp.${args.userId}.v${version}`, 'utf8')).ciphertext
}

export function openTotpSecret(args: { keyring: Keyring; userId: string; ciphertext: string }): string {
  return open(args.keyring, args.ciphertext, (version) => Buffer.from(`trickle.user-totp.${args.userId}.v${version}`, 'utf8'), 'TOTP secret')
}

/** Any secret value bound to `purpose` (e.g. `bluesky-oauth.session.<did>`): it opens only under the same purpose. */
export function sealValue(args: { keyring: Keyring; purpose: string; plaintext: string }): string {
  return seal(args.keyring, args.plaintext, (version) => Buffer.from(`trickle.${args.purpose}.v${version}`, 'utf8')).ciphertext
}

export function openValue(args: { keyring: Keyring; purpose: string; ciphertext: string }): string {
  return open(args.keyring, args.ciphertext, (version) => Buffer.from(`trickle.${args.purpose}.v${version}`, 'utf8'), args.purpose)
}

type StoredCredentials = Omit<Credentials, 'expiresAt'> & { expiresAt?: string }

function serialize(credentials: Credentials): StoredCredentials {
  return { ...credentials, expiresAt: credentials.expiresAt?.toISOString() }
}

function deserialize(stored: StoredCredentials): Credentials {
  const { expiresAt, ...rest } = stored
  return expiresAt ? { ...rest, expiresAt: new Date(expiresAt) } : rest
}

/**
 * Re-seal every account not yet under the keyring's current key (all workspaces: an operator command).
 * Each row is re-read under a row lock, so a concurrent refresh is never overwritten with stale tokens.
 * Rows that do not open (a missing old key, tampering) are left as they are and reported.
 */
export async function reencryptAccounts(
  db: Db,
  args: { keyring: Keyring; batchSize?: number },
): Promise<{ reencrypted: number; failed: Array<{ accountId: string; reason: string }> }> {
  const { keyring } = args
  let reencrypted = 0
  const failed: Array<{ accountId: string; reason: string }> = []
  let after = '00000000-0000-0000-0000-000000000000'
  for (;;) {
    const batch = await db
      .select({ id: accounts.id })
      .from(accounts)
      .where(and(ne(accounts.credentialsKeyVersion, keyring.current), gt(accounts.id, after)))
      .orderBy(asc(accounts.id))
      .limit(args.batchSize ?? 100)
    if (batch.length === 0) return { reencrypted, failed }
    for (const { id } of batch) {
      after = id
      const done = await db.transaction(async (tx) => {
        const [row] = await tx.select().from(accounts).where(eq(accounts.id, id)).for('update')
        if (!row || row.credentialsKeyVersion === keyring.current) return false
        let credentials: Credentials
        try {
          credentials = openCredentials({ keyring, accountId: id, ciphertext: row.credentialsCiphertext })
        } catch (error) {
          if (!(error instanceof VaultError)) throw error
          failed.push({ accountId: id, reason: error.message })
          return false
        }
        const sealed = sealCredentials({ keyring, accountId: id, credentials })
        await tx
          .update(accounts)
          .set({ credentialsCiphertext: sealed.ciphertext, credentialsKeyVersion: sealed.keyVersion })
          .where(eq(accounts.id, id))
        return true
      })
      if (done) reencrypted++
    }
  }
}
