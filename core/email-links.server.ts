import { createSecretKey, hkdfSync } from 'node:crypto'
import { signLink, verifyLink, type LinkClaims, type LinkPurpose } from '../domain/email/links'
import { hmacSha256 } from './secrets'
import type { Services } from './services.server'

/**
 * Signed email links (unsubscribe, preferences, tracking, double opt-in; decision 008), signed with a key
 * derived from SESSION_SECRET (no new secret to configure).
 */

const PATHS: Record<LinkPurpose, string> = { unsubscribe: '/u/', preferences: '/p/', open: '/t/o/', click: '/t/c/', confirm: '/f/confirm/' }

/**
 * What signing a link needs, made once per secret and APP_URL (the drip runner signs four or more links
 * per message, decision 110): the derived key as one HMAC key object, and each purpose's URL up to the
 * token (a token is base64url and `.`, so `prefix + token` is the URL `new URL(path + token, APP_URL)` gives).
 */
type LinkSigner = { mac: (data: string) => Uint8Array; prefix: Record<LinkPurpose, string> }
const linkSigners = new Map<string, LinkSigner>()

function linkSigner(services: Pick<Services, 'config'>): LinkSigner {
  const { SESSION_SECRET, APP_URL } = services.config
  const cacheKey = `${SESSION_SECRET}\u0000${APP_URL}`
  let signer = linkSigners.get(cacheKey)
  if (!signer) {
    const secret = Buffer.from(hkdfSync('sha256', SESSION_SECRET, 'trickle', 'trickle.email-links.v1', 32))
    const prefix = Object.fromEntries(Object.entries(PATHS).map(([purpose, path]) => [purpose, new URL(path, APP_URL).toString()])) as Record<LinkPurpose, string>
    signer = { mac: hmacSha256(createSecretKey(secret)), prefix }
    linkSigners.set(cacheKey, signer)
  }
  return signer
}

export function signedEmailUrl(services: Pick<Services, 'config' | 'clock'>, purpose: LinkPurpose, claims: LinkClaims): string {
  const signer = linkSigner(services)
  const token = signLink({ mac: signer.mac, purpose, claims, now: services.clock.now() })
  return `${signer.prefix[purpose]}${token}${purpose === 'open' ? '.gif' : ''}`
}

export function verifyEmailToken(services: Pick<Services, 'config' | 'clock'>, purpose: LinkPurpose, token: string | undefined): LinkClaims | null {
  if (!token) return null
  const result = verifyLink({ mac: linkSigner(services).mac, purpose, token, now: services.clock.now() })
  return result.ok ? result.claims : null
}
