import { connectorKinds, createConnectors, getConnector } from './registry'

describe('connector registry', () => {
  it('builds only the configured connectors and names what is missing', () => {
    expect(connectorKinds).toEqual(['x', 'mastodon', 'bluesky', 'telegram', 'discord', 'webhook', 'slack', 'linkedin', 'threads', 'pinterest', 'reddit', 'facebook', 'instagram', 'email', 'sms', 'mail'])
    const none = createConnectors({})
    expect(() => getConnector(none, 'x')).toThrow('kind: the x connector is not configured')
    expect(() => getConnector(none, 'myspace')).toThrow(/kind: unknown connector "myspace"/)
    const some = createConnectors({ x: { clientId: 'id' } })
    expect(getConnector(some, 'x').kind).toBe('x')
    expect(() => createConnectors({ x: { clientId: '' } })).toThrow('x.clientId: required')
    const email = getConnector(createConnectors({ email: {} }), 'email')
    expect(email).toMatchObject({ kind: 'email', reads: 'email' })
    email.close?.()
    expect(getConnector(createConnectors({ sms: {} }), 'sms')).toMatchObject({ kind: 'sms', reads: 'sms' })
    expect(() => createConnectors({ x: { clientId: 'id', apiBaseUrl: 'http://127.0.0.1:1', uploadBaseUrl: 'https://upload.x.com' } })).toThrow(/both be http/)
  })
})
