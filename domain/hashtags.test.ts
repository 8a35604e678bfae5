import { HashtagGroupSchema, insertHashtags, splitHashtags } from './hashtags'

describe('hashtag groups', () => {
  it('reads hashtags written with or without #, separated by spaces or commas, each once', () => {
    expect(splitHashtags('#garden, spring  #tips #garden')).toEqual(['#garden', '#spring', '#tips'])
    expect(HashtagGroupSchema.parse({ name: ' Garden ', hashtags: ['garden', '#Frühling'] })).toEqual({ name: 'Garden', hashtags: ['#garden', '#Frühling'] })
  })

  it('names the field of bad input', () => {
    const issues = (input: unknown) => HashtagGroupSchema.safeParse(input).error?.issues.map((i) => i.message)
    expect(issues({ name: '', hashtags: '#a' })).toEqual(['name: give the group a name'])
    expect(issues({ name: 'x', hashtags: 'good #bad-tag' })).toEqual(["hashtags: '#bad-tag' is not a hashtag (letters, digits and _ after #)"])
    expect(issues({ name: 'x', hashtags: ' ' })).toEqual(['hashtags: write at least one hashtag'])
  })

  it('adds the group at the end of the text, without the hashtags it already has', () => {
    expect(insertHashtags('Water early.  ', ['#garden', '#tips'])).toBe('Water early.\n\n#garden #tips')
    expect(insertHashtags('Water early #Garden', ['#garden', '#tips'])).toBe('Water early #Garden\n\n#tips')
    expect(insertHashtags('', ['#garden'])).toBe('#garden')
    expect(insertHashtags('Done #garden', ['#garden'])).toBe('Done #garden')
  })
})
