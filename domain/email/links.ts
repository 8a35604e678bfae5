/**
 * Signed tokens for the links inside emails: unsubscribe, preferences, open pixel, click redirect and
 * double opt-in confirmation. A token is `<payload>.<mac>` (base64url): the payload is JSON naming the
 * purpose, the workspace and contact (and the drip/enrollment/step or URL where relevant) and when it
 * was issued; the MAC is HMAC-SHA256 over the purpose-tagged payload. Tokens need no database row, so
 * the public pages work without cookies, and nothing a recipient can edit survives verification.
 * The MAC function (holding the secret) and the current instant are arguments: no clock reads and no
 * crypto library here (core/secrets.ts `hmacSha256` is the real one).
 */

export type LinkPurpose = 'unsubscribe' | 'preferences' | 'open' | 'click' | 'confirm'

/** How long each kind of link stays valid after it was issued. RFC 8058 asks for a working unsubscribe for a long time; we keep ≥ 30 days with a wide margin. */
export const LINK_TTL_DAYS: Record<LinkPurpose, number> = {
  unsubscribe: 400,
  preferences: 400,
  open: 400,
  click: 400,
  confirm: 7,
}

export type LinkClaims = {
  workspaceId: string
  contactId: string
  /** The drip (sequence) the message belongs to, when it does. */
  sequenceId?: string
  enrollmentId?: string
  stepId?: string
  /** For `click`: the destination. */
  url?: string
  /** For `confirm`: the consent record being confirmed. */
  consentId?: string
}

type Payload = { p: LinkPurpose; w: string; c: string; s?: string; e?: string; t?: string; u?: string; k?: string; iat: number }

export type VerifyResult = { ok: true; claims: LinkClaims; issuedAt: Date } | { ok: false; reason: 'malformed' | 'bad-signature' | 'wrong-purpose' | 'expired' }

/** HMAC-SHA256 under the link secret: 32 bytes for `data`. */
export type LinkMac = (data: string) => Uint8Array

function mac(linkMac: LinkMac, payload: string): Buffer {
  return Buffer.from(linkMac(`trickle.link.v1.${payload}`))
}

/** Compares in time independent of where the first difference is. */
function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  let diff = 0
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!
  return diff === 0
}

export function signLink(args: { mac: LinkMac; purpose: LinkPurpose; claims: LinkClaims; now: Date }): string {
  const { claims } = args
  const payload: Payload = { p: args.purpose, w: claims.workspaceId, c: claims.contactId, iat: Math.floor(args.now.getTime() / 1000) }
  if (claims.sequenceId) payload.s = claims.sequenceId
  if (claims.enrollmentId) payload.e = claims.enrollmentId
  if (claims.stepId) payload.t = claims.stepId
  if (claims.url) payload.u = claims.url
  if (claims.consentId) payload.k = claims.consentId
  const encoded = Buffer.from(JSON.stringify(payload)).toString('base64url')
  return `${encoded}.${mac(args.mac, encoded).toString('base64url')}`
}

export function verifyLink(args: { mac: LinkMac; purpose: LinkPurpose; token: string; now: Date }): VerifyResult {
  const match = /^([A-Za-z0-9_-]{1,8000})\.([A-Za-z0-9_-]{43})$/.exec(args.token)
  if (!match) return { ok: false, reason: 'malformed' }
  const [, encoded, givenMac] = match as unknown as [string, string, string]
  const given = Buffer.from(givenMac, 'base64url')
  const expected = mac(args.mac, encoded)
  if (!sameBytes(given, expected)) return { ok: false, reason: 'bad-signature' }
  let payload: Payload
  try {
    payload = JSON.parse(Buffer.from(encoded, 'base64url').toString('utf8')) as Payload
  } catch {
    return { ok: false, reason: 'malformed' }
  }
  if (typeof payload !== 'object' || payload === null || typeof payload.w !== 'string' || typeof payload.c !== 'string' || typeof payload.iat !== 'number') {
    return { ok: false, reason: 'malformed' }
  }
  if (payload.p !== args.purpose) return { ok: false, reason: 'wrong-purpose' }
  const issuedAt = new Date(payload.iat * 1000)
  if (args.now.getTime() > issuedAt.getTime() + LINK_TTL_DAYS[args.purpose] * 86_400_000) return { ok: false, reason: 'expired' }
  const claims: LinkClaims = { workspaceId: payload.w, contactId: payload.c }
  if (payload.s) claims.sequenceId = payload.s
  if (payload.e) claims.enrollmentId = payload.e
  if (payload.t) claims.stepId = payload.t
  if (payload.u) claims.url = payload.u
  if (payload.k) claims.consentId = payload.k
  return { ok: true, claims, issuedAt }
}
