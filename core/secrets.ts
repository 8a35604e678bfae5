import { createHash, createHmac, randomBytes, type KeyObject } from 'node:crypto'

/** A random, URL-safe secret (session ids, API tokens, invitation tokens). */
export function newSecret(bytes = 32): string {
  return randomBytes(bytes).toString('base64url')
}

/** What the database keeps instead of a secret. */
export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex')
}

/** An HMAC-SHA256 function under `key` (domain/ rules that sign take it as an argument). */
export function hmacSha256(key: string | Uint8Array | KeyObject): (data: string) => Uint8Array {
  return (data) => createHmac('sha256', key).update(data).digest()
}
