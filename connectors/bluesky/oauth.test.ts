import { generateKeyPairSync } from 'node:crypto'
import { blueskyClientMetadata, blueskyJwks, isPublicHttpsUrl, isSessionGone, parsePrivateJwks } from './oauth'

const newKey = (kid: string) => ({ ...generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' }), kid })
const jwk = newKey('k1')

it('offers OAuth only for a public https APP_URL (authorization servers refuse the others as client ids)', () => {
  for (const url of ['https://trickle.acme.com', 'https://social.acme.co.uk:8443/']) expect(isPublicHttpsUrl(url), url).toBe(true)
  for (const url of ['http://trickle.acme.com', 'https://localhost:3000', 'https://127.0.0.1', 'https://[::1]', 'https://intranet', 'https://trickle.test', 'https://a.local', 'https://x.example', 'https://app.localhost']) {
    expect(isPublicHttpsUrl(url), url).toBe(false)
  }
})

it('describes the client under APP_URL: client id, redirect URI and JWKS address, private_key_jwt and DPoP', () => {
  expect(blueskyClientMetadata('https://trickle.acme.com/')).toMatchObject({
    client_id: 'https://trickle.acme.com/oauth/bluesky/client-metadata.json',
    redirect_uris: ['https://trickle.acme.com/oauth/bluesky/callback'],
    jwks_uri: 'https://trickle.acme.com/oauth/bluesky/jwks.json',
    token_endpoint_auth_method: 'private_key_jwt',
    token_endpoint_auth_signing_alg: 'ES256',
    dpop_bound_access_tokens: true,
    application_type: 'web',
    grant_types: ['authorization_code', 'refresh_token'],
  })
})

it('serves only the public half of the key', () => {
  const { keys } = blueskyJwks(JSON.stringify(jwk))
  expect(keys).toEqual([{ kty: 'EC', crv: 'P-256', x: jwk.x, y: jwk.y, kid: 'k1', alg: 'ES256', use: 'sig' }])
  expect(JSON.stringify(keys)).not.toContain(jwk.d!)
})

it('serves every key of a rotation, in order, and signs new connections with the first (decision 125)', () => {
  const next = newKey('k2')
  const { keys } = blueskyJwks(JSON.stringify([next, jwk]))
  expect(keys.map((k) => k.kid)).toEqual(['k2', 'k1'])
  expect(keys[0]).toEqual({ kty: 'EC', crv: 'P-256', x: next.x, y: next.y, kid: 'k2', alg: 'ES256', use: 'sig' })
  expect(JSON.stringify(keys)).not.toContain(next.d!)
  expect(parsePrivateJwks(JSON.stringify([next, jwk])).map((k) => k.kid)).toEqual(['k2', 'k1'])
  expect(parsePrivateJwks(JSON.stringify(jwk)).map((k) => k.kid)).toEqual(['k1'])
})

it('refuses a key that is not a private P-256 JWK with a kid, naming the variable (and the key of an array)', () => {
  const { d: _d, ...publicOnly } = jwk
  const { kid: _kid, ...noKid } = jwk
  for (const value of ['not json', 'null', '"k1"', JSON.stringify(publicOnly), JSON.stringify(noKid), JSON.stringify({ ...jwk, crv: 'P-384' })]) {
    expect(() => parsePrivateJwks(value), value).toThrow(/^BLUESKY_OAUTH_PRIVATE_KEY: /)
  }
  expect(() => parsePrivateJwks('[]')).toThrow('BLUESKY_OAUTH_PRIVATE_KEY: the array holds no key')
  expect(() => parsePrivateJwks(JSON.stringify([jwk, publicOnly]))).toThrow('BLUESKY_OAUTH_PRIVATE_KEY[1]: must be a private P-256 (ES256) key as a JWK')
  expect(() => parsePrivateJwks(JSON.stringify([jwk, { ...newKey('k1') }]))).toThrow('BLUESKY_OAUTH_PRIVATE_KEY: two keys have the kid "k1"')
})

it('counts revoked, refused and unreadable sessions as gone, never a network failure', () => {
  class TokenRevokedError extends Error {}
  class TokenRefreshError extends Error {}
  expect(isSessionGone(new TokenRevokedError('revoked'))).toBe(true)
  expect(isSessionGone(new TokenRefreshError('Refresh token replayed'))).toBe(true)
  expect(isSessionGone(new TypeError('fetch failed'))).toBe(false)
  expect(isSessionGone(new Error('ECONNREFUSED'))).toBe(false)
})
