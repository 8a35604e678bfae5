import { createHash } from 'node:crypto'
import { AUTHORIZATION_LIFETIME_MS, checkAuthorizationState, codeChallengeFor, createCodeVerifier, createOAuthState, startAuthorization } from './oauth'

describe('OAuth helpers', () => {
  it('makes RFC 7636 verifiers and their S256 challenges', () => {
    const verifier = createCodeVerifier()
    expect(verifier).toMatch(/^[A-Za-z0-9_-]{43,128}$/)
    expect(createCodeVerifier()).not.toBe(verifier)
    // RFC 7636 appendix B test vector.
    expect(codeChallengeFor('dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk')).toBe('E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM')
    expect(codeChallengeFor(verifier)).toBe(createHash('sha256').update(verifier).digest('base64url'))
    expect(createOAuthState()).not.toBe(createOAuthState())
  })

  it('starts an authorization the callback can check once, for ten minutes', async () => {
    const now = new Date('2026-11-22T10:00:00Z')
    let seen: { state: string; codeChallenge: string; redirectUri: string } | undefined
    const connector = {
      kind: 'test',
      authorizeUrl: (args: { state: string; codeChallenge: string; redirectUri: string }) => {
        seen = args
        return `https://network.example/authorize?state=${args.state}`
      },
    }
    const { url, pending } = await startAuthorization({ connector, redirectUri: 'https://trickle.example/cb', now })
    expect(url).toContain(pending.state)
    expect(seen?.codeChallenge).toBe(codeChallengeFor(pending.codeVerifier))
    expect(pending.expiresAt.getTime() - now.getTime()).toBe(AUTHORIZATION_LIFETIME_MS)
    expect(checkAuthorizationState({ pending, state: pending.state, now })).toBeNull()
    expect(checkAuthorizationState({ pending, state: createOAuthState(), now })).toMatch(/does not match/)
    expect(checkAuthorizationState({ pending: null, state: pending.state, now })).toMatch(/no authorization/)
    expect(checkAuthorizationState({ pending, state: pending.state, now: new Date(pending.expiresAt.getTime() + 1) })).toMatch(/expired/)
    await expect(startAuthorization({ connector: { kind: 'smtp' }, redirectUri: 'x', now })).rejects.toThrow(/does not connect through OAuth/)
  })
})
