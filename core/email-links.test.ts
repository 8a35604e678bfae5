import { createHmac, hkdfSync } from 'node:crypto'
import { signLink } from '../domain/email/links'
import { signedEmailUrl, verifyEmailToken } from './email-links.server'
import type { Services } from './services.server'

// Signing keeps one HMAC key object and each purpose's URL prefix per secret and APP_URL (decision 110):
// the links must be what signing from scratch gives.
describe('signed email links', () => {
  const now = new Date('2026-12-06T12:00:00Z')
  const claims = { workspaceId: 'w1', contactId: 'c1', sequenceId: 's1', enrollmentId: 'e1', stepId: 't1', url: 'https://example.com/a?b=1&c=2' }
  for (const APP_URL of ['https://app.example', 'https://app.example/base/', 'http://127.0.0.1:3000/?x=1']) {
    it(`are the URL signing from scratch gives (${APP_URL})`, () => {
      const SESSION_SECRET = `secret-${APP_URL}`.padEnd(40, '!')
      const services = { config: { SESSION_SECRET, APP_URL }, clock: { now: () => now } } as unknown as Pick<Services, 'config' | 'clock'>
      const key = Buffer.from(hkdfSync('sha256', SESSION_SECRET, 'trickle', 'trickle.email-links.v1', 32))
      const mac = (data: string) => createHmac('sha256', key).update(data).digest()
      const paths = { unsubscribe: '/u/', preferences: '/p/', open: '/t/o/', click: '/t/c/', confirm: '/f/confirm/' } as const
      for (const [purpose, path] of Object.entries(paths) as Array<[keyof typeof paths, string]>) {
        const token = signLink({ mac, purpose, claims, now })
        const url = signedEmailUrl(services, purpose, claims)
        expect(url).toBe(new URL(`${path}${token}${purpose === 'open' ? '.gif' : ''}`, APP_URL).toString())
        expect(verifyEmailToken(services, purpose, token)).toEqual(claims)
        expect(verifyEmailToken(services, purpose === 'click' ? 'open' : 'click', token)).toBeNull()
      }
    })
  }
})
