import { createHash, randomBytes } from 'node:crypto'

/** A random, URL-safe secret (session ids, API tokens, invitation tokens). */
export function newSecret(bytes = 32): string {
  return randomBytes(bytes).toString('base64url')
}

/** What the database keeps instead of a secret. */
export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex')
}
