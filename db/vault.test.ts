import { randomBytes, randomUUID } from 'node:crypto'
import { createKeyring, openCredentials, sealCredentials, VaultError } from './vault'

const key = () => randomBytes(32).toString('base64')
const credentials = { accessToken: 'at-secret', refreshToken: 'rt-secret', expiresAt: new Date('2026-11-22T10:00:00Z'), extra: { userId: '42' } }

describe('token vault', () => {
  const keyring = createKeyring({ currentKey: key(), currentVersion: 1 })
  const accountId = randomUUID()

  it('round-trips credentials, with a fresh nonce on every write', () => {
    const a = sealCredentials({ keyring, accountId, credentials })
    const b = sealCredentials({ keyring, accountId, credentials })
    expect(a.keyVersion).toBe(1)
    expect(a.ciphertext).toMatch(/^v1\.[\w-]{16}\.[\w-]+\.[\w-]{22}$/)
    expect(a.ciphertext.split('.')[1]).not.toBe(b.ciphertext.split('.')[1])
    expect(a.ciphertext).not.toContain('secret')
    expect(openCredentials({ keyring, accountId, ciphertext: a.ciphertext })).toEqual(credentials)
  })

  it('refuses to open under another account id, after tampering, or with the wrong key', () => {
    const { ciphertext } = sealCredentials({ keyring, accountId, credentials })
    expect(() => openCredentials({ keyring, accountId: randomUUID(), ciphertext })).toThrow(VaultError)
    const [v, nonce, body, tag] = ciphertext.split('.') as [string, string, string, string]
    const flipped = Buffer.from(body, 'base64url')
    flipped[0]! ^= 1
    expect(() => openCredentials({ keyring, accountId, ciphertext: [v, nonce, flipped.toString('base64url'), tag].join('.') })).toThrow(/failed authentication/)
    const other = createKeyring({ currentKey: key(), currentVersion: 1 })
    expect(() => openCredentials({ keyring: other, accountId, ciphertext })).toThrow(/failed authentication/)
    // The version is bound too: relabelling a v1 value as v2 does not open even where v2 is the same key.
    const sameKeyTwice = createKeyring({ currentKey: key(), currentVersion: 2 })
    const sealed = sealCredentials({ keyring: sameKeyTwice, accountId, credentials }).ciphertext
    const relabelled = createKeyring({
      currentKey: Buffer.from(sameKeyTwice.keys.get(2)!).toString('base64'),
      currentVersion: 3,
      previousKeys: `2:${sameKeyTwice.keys.get(2)!.toString('base64')}`,
    })
    expect(() => openCredentials({ keyring: relabelled, accountId, ciphertext: sealed.replace(/^v2\./, 'v3.') })).toThrow(/failed authentication/)
  })

  it('reads with previous keys and writes with the current one', () => {
    const oldKey = key()
    const old = createKeyring({ currentKey: oldKey, currentVersion: 1 })
    const { ciphertext } = sealCredentials({ keyring: old, accountId, credentials })
    const rotated = createKeyring({ currentKey: key(), currentVersion: 2, previousKeys: `1:${oldKey}` })
    expect(openCredentials({ keyring: rotated, accountId, ciphertext })).toEqual(credentials)
    expect(sealCredentials({ keyring: rotated, accountId, credentials }).keyVersion).toBe(2)
    const withoutOld = createKeyring({ currentKey: key(), currentVersion: 2 })
    expect(() => openCredentials({ keyring: withoutOld, accountId, ciphertext })).toThrow(/no key for version 1/)
  })

  it('names the setting when a key is malformed', () => {
    expect(() => createKeyring({ currentKey: 'c2hvcnQ=', currentVersion: 1 })).toThrow(/TOKEN_ENCRYPTION_KEY: must be 32 bytes/)
    expect(() => createKeyring({ currentKey: key(), currentVersion: 2, previousKeys: 'nonsense' })).toThrow(/TOKEN_ENCRYPTION_PREVIOUS_KEYS/)
    expect(() => createKeyring({ currentKey: key(), currentVersion: 0 })).toThrow(/TOKEN_ENCRYPTION_KEY_VERSION/)
  })
})
