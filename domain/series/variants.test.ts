import { contentForNetwork, lengthProblem, variantNetworks, variantPlace } from './variants'

describe('per-network variants', () => {
  const content = {
    parts: [{ text: 'Main, part one' }, { text: 'Main, part two' }],
    variants: { linkedin: { parts: [{ text: 'The long LinkedIn version', images: [{ mediaId: 'm1', alt: 'A chart' }] }] }, x: { parts: [] } },
  }

  it('gives a network its variant and every other network the main text, never carrying the variants along', () => {
    expect(contentForNetwork(content, 'linkedin')).toEqual({ parts: [{ text: 'The long LinkedIn version', images: [{ mediaId: 'm1', alt: 'A chart' }] }] })
    expect(contentForNetwork(content, 'mastodon')).toEqual({ parts: content.parts })
    // An empty variant is no variant: the main text.
    expect(contentForNetwork(content, 'x')).toEqual({ parts: content.parts })
    expect(variantNetworks(content)).toEqual(['linkedin'])
  })

  it('keeps the post’s first comment (its stored last part) after the variant’s parts', () => {
    const withComment = { parts: [{ text: 'Main' }, { text: 'Link in the comment' }], firstComment: true as const, variants: { linkedin: { parts: [{ text: 'A' }, { text: 'B' }] } } }
    expect(contentForNetwork(withComment, 'linkedin')).toEqual({ parts: [{ text: 'A' }, { text: 'B' }, { text: 'Link in the comment' }], firstComment: true })
    expect(contentForNetwork(withComment, 'x')).toEqual({ parts: [{ text: 'Main' }, { text: 'Link in the comment' }], firstComment: true })
  })

  it('names the post, the network and the part, and the length as the network counts it', () => {
    expect(lengthProblem({ place: variantPlace({ post: 3, network: 'LinkedIn', part: 1, parts: 1 }), network: 'LinkedIn', length: 3100, max: 3000 })).toBe(
      'Post 3, LinkedIn variant: 3,100 characters, LinkedIn allows 3,000',
    )
    expect(variantPlace({ post: 2, network: 'X', part: 2, parts: 3 })).toBe('Post 2, X variant, part 2')
    expect(variantPlace({ post: 1, parts: 1 })).toBe('Post 1')
  })
})
