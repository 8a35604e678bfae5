import { generateKeyPairSync } from 'node:crypto'
import { blueskyClientMetadata, blueskyJwks, isPublicHttpsUrl, isSessionGone, parsePrivateJwk } from './oauth'

const jwk = { ...generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' }), kid: 'k1' }

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

it('refuses a key that is not a private P-256 JWK with a kid, naming the variable', () => {
  const { d: _d, ...publicOnly } = jwk
  const { kid: _kid, ...noKid } = jwk
  for (const value of ['not json', JSON.stringify(publicOnly), JSON.stringify(noKid), JSON.stringify({ ...jwk, crv: 'P-384' })]) {
    expect(() => parsePrivateJwk(value)).toThrow(/^BLUESKY_OAUTH_PRIVATE_KEY: /)
  }
})

it('counts revoked, refused and unreadable sessions as gone, never a network failure', () => {
  class TokenRevokedError extends Error {}
  class TokenRefreshError extends Error {}
  expect(isSessionGone(new TokenRevokedError('revoked'))).toBe(true)
  expect(isSessionGone(new TokenRefreshError('Refresh token replayed'))).toBe(true)
  expect(isSessionGone(new TypeError('fetch failed'))).toBe(false)
  expect(isSessionGone(new Error('ECONNREFUSED'))).toBe(false)
})
