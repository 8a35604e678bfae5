import { createHmac } from 'node:crypto'
import fc from 'fast-check'
import { signLink, verifyLink } from './links'

const macWith = (key: string) => (data: string) => createHmac('sha256', key).update(data).digest()
const mac = macWith('test-secret-0123456789abcdef')
const claims = { workspaceId: '11111111-1111-4111-8111-111111111111', contactId: '22222222-2222-4222-8222-222222222222', sequenceId: '33333333-3333-4333-8333-333333333333' }
const t0 = new Date('2026-01-01T00:00:00Z')
const days = (n: number) => new Date(t0.getTime() + n * 86_400_000)

describe('signed links', () => {
  it('verifies its own token and returns the claims', () => {
    const token = signLink({ mac, purpose: 'unsubscribe', claims, now: t0 })
    expect(verifyLink({ mac, purpose: 'unsubscribe', token, now: t0 })).toEqual({ ok: true, claims, issuedAt: t0 })
  })

  it('keeps an unsubscribe link valid for at least 30 days (and a confirmation link for a week only)', () => {
    const token = signLink({ mac, purpose: 'unsubscribe', claims, now: t0 })
    expect(verifyLink({ mac, purpose: 'unsubscribe', token, now: days(30) }).ok).toBe(true)
    expect(verifyLink({ mac, purpose: 'unsubscribe', token, now: days(399) }).ok).toBe(true)
    expect(verifyLink({ mac, purpose: 'unsubscribe', token, now: days(401) })).toEqual({ ok: false, reason: 'expired' })
    const confirm = signLink({ mac, purpose: 'confirm', claims, now: t0 })
    expect(verifyLink({ mac, purpose: 'confirm', token: confirm, now: days(8) })).toEqual({ ok: false, reason: 'expired' })
  })

  it('rejects another purpose, another secret and any single-character change', () => {
    const token = signLink({ mac, purpose: 'click', claims: { ...claims, url: 'https://example.com/a?b=1' }, now: t0 })
    expect(verifyLink({ mac, purpose: 'unsubscribe', token, now: t0 })).toEqual({ ok: false, reason: 'wrong-purpose' })
    expect(verifyLink({ mac: macWith('other'), purpose: 'click', token, now: t0 }).ok).toBe(false)
    fc.assert(
      fc.property(fc.nat(token.length - 1), fc.constantFrom(...'ABCxyz019-_'), (i, ch) => {
        fc.pre(token[i] !== ch && token[i] !== '.')
        const tampered = token.slice(0, i) + ch + token.slice(i + 1)
        expect(verifyLink({ mac, purpose: 'click', token: tampered, now: t0 }).ok).toBe(false)
      }),
    )
  })

  it('never throws on arbitrary input', () => {
    fc.assert(fc.property(fc.string({ maxLength: 200 }), (token) => {
      expect(verifyLink({ mac, purpose: 'open', token, now: t0 }).ok).toBe(false)
    }))
  })
})
