import { campaignSlug, distinctLinks, findLinks, replaceLinks, splitUtm, withUtm } from './utm'

const utm = { source: 'mastodon', medium: 'social', campaign: 'spring-launch', content: 'step-2' } as const

describe('links and UTM parameters', () => {
  it('finds links without the punctuation that ends a sentence', () => {
    expect(findLinks('Read https://a.example/x. And (see https://b.example/y?q=1), or https://en.wikipedia.org/wiki/X_(Y)!').map((l) => l.url)).toEqual([
      'https://a.example/x',
      'https://b.example/y?q=1',
      'https://en.wikipedia.org/wiki/X_(Y)',
    ])
    expect(findLinks('no links, just http:// and https://nodot')).toEqual([])
    expect(distinctLinks(['https://a.example/1 https://a.example/1', 'https://a.example/2'])).toEqual(['https://a.example/1', 'https://a.example/2'])
  })

  it('replaces each link and leaves the rest of the text as it was', () => {
    const text = 'New post: https://a.example/x. Also https://b.example!'
    expect(replaceLinks(text, (url) => (url.includes('a.example') ? 'https://t.example/l/AAA' : undefined))).toBe('New post: https://t.example/l/AAA. Also https://b.example!')
  })

  it('adds UTM parameters, keeping the query, the fragment and parameters the author set', () => {
    expect(withUtm('https://shop.example/p?id=7#top', utm)).toBe('https://shop.example/p?id=7&utm_source=mastodon&utm_medium=social&utm_campaign=spring-launch&utm_content=step-2#top')
    expect(withUtm('https://shop.example/?utm_source=newsletter', utm)).toBe('https://shop.example/?utm_source=newsletter&utm_medium=social&utm_campaign=spring-launch&utm_content=step-2')
    expect(withUtm('mailto:a@b.example', utm)).toBe('mailto:a@b.example')
  })

  it('makes a campaign slug of a name', () => {
    expect(campaignSlug('Spring Launch — Café 2027!')).toBe('spring-launch-cafe-2027')
    expect(campaignSlug('???')).toBe('campaign')
  })

  it('splits a redirected link into the link and its UTM parameters', () => {
    expect(splitUtm('https://brand.test/pricing?plan=pro&utm_source=email&utm_medium=email&utm_campaign=trial&utm_content=step-1#top')).toEqual({
      link: 'https://brand.test/pricing?plan=pro#top',
      utm: [
        { key: 'utm_source', value: 'email' },
        { key: 'utm_medium', value: 'email' },
        { key: 'utm_campaign', value: 'trial' },
        { key: 'utm_content', value: 'step-1' },
      ],
    })
    expect(splitUtm('https://brand.test/a')).toEqual({ link: 'https://brand.test/a', utm: [] })
    expect(splitUtm('not a link')).toEqual({ link: 'not a link', utm: [] })
  })
})
