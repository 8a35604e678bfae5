import { accountName } from './format'

describe('accountName', () => {
  it('shows @handles where the network has them, and other names as they are', () => {
    expect(accountName({ network: 'x', handle: 'trickle' })).toBe('@trickle')
    expect(accountName({ network: 'bluesky', handle: 'trickle.bsky.social' })).toBe('@trickle.bsky.social')
    expect(accountName({ network: 'telegram', handle: 'trickle_news' })).toBe('@trickle_news')
    expect(accountName({ network: 'telegram', handle: 'Trickle News' })).toBe('Trickle News')
    expect(accountName({ network: 'slack', handle: '#launches' })).toBe('#launches')
    expect(accountName({ network: 'discord', handle: 'Trickle' })).toBe('Trickle')
    expect(accountName({ kind: 'x', network: 'X', handle: 'trickle' })).toBe('@trickle')
    expect(accountName({ network: 'Bluesky', handle: 'a.test' })).toBe('@a.test')
  })
})
