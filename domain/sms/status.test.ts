import { describe, expect, it } from 'vitest'
import { applySmsStatus } from './status'

describe('applySmsStatus', () => {
  it('moves forward through queued → sent → delivered', () => {
    expect(applySmsStatus({ current: null, next: 'queued' })).toEqual({ change: true, providerStatus: 'queued', failed: null })
    expect(applySmsStatus({ current: 'queued', next: 'sent' })).toEqual({ change: true, providerStatus: 'sent', failed: null })
    expect(applySmsStatus({ current: 'sent', next: 'delivered' })).toEqual({ change: true, providerStatus: 'delivered', failed: null })
  })
  it('ignores a late or repeated callback', () => {
    expect(applySmsStatus({ current: 'delivered', next: 'sent' })).toEqual({ change: false })
    expect(applySmsStatus({ current: 'sent', next: 'sent' })).toEqual({ change: false })
    expect(applySmsStatus({ current: 'delivered', next: 'failed' })).toEqual({ change: false })
  })
  it('turns undelivered and failed into a failure with the error code', () => {
    expect(applySmsStatus({ current: 'sent', next: 'undelivered', errorCode: '30003' })).toEqual({
      change: true,
      providerStatus: 'undelivered',
      failed: { error: 'carrier reported undelivered (error 30003)', errorKind: 'sms_undelivered' },
    })
    expect(applySmsStatus({ current: 'queued', next: 'failed', errorCode: '21610' })).toMatchObject({ failed: { errorKind: 'sms_opted_out' } })
  })
})
