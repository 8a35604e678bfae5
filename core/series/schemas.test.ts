import { describeSeriesRule } from './timing'
import { evergreenFromForm, fromStepContent, PostSchema, postForNetwork, postsFromForm, toStepContent } from './schemas'

describe('per-network variants in the post schema and the editor’s form (decision 098)', () => {
  it('reads variant fields of the form, drops empty ones when saving, and keeps a post with a variant whole', () => {
    const form = {
      'post-1': 'Main text',
      'post-1-variant-x': 'Short for X',
      'post-1-variant-linkedin': 'Long form',
      'post-1-variant-linkedin-part-1-image-1': '8b0e8f5e-7d5c-4c39-9a53-4f7cbf4a1f10',
      'post-1-variant-linkedin-part-1-alt-1': 'A chart',
      'post-1-variant-mastodon': '  ',
      // A post with a variant is not split on ---.
      'post-2': 'One\n---\nTwo',
      'post-2-variant-x': 'For X',
    }
    expect(postsFromForm(form, { forSaving: true })).toEqual([
      {
        parts: [{ text: 'Main text', images: [] }],
        variants: {
          x: { parts: [{ text: 'Short for X', images: [] }] },
          linkedin: { parts: [{ text: 'Long form', images: [{ mediaId: '8b0e8f5e-7d5c-4c39-9a53-4f7cbf4a1f10', alt: 'A chart' }] }] },
        },
      },
      { parts: [{ text: 'One\n---\nTwo', images: [] }], variants: { x: { parts: [{ text: 'For X', images: [] }] } } },
    ])
    // The live check sees an empty variant as chosen (the editor's "Custom" with nothing typed yet).
    expect(postsFromForm({ 'post-1': 'Main', 'post-1-variant-x': '' }, { forSaving: false })[0]!.variants).toEqual({ x: { parts: [{ text: '', images: [] }] } })
  })

  it('stores variants with the step, reads them back, and gives each network its text with the shared first comment', () => {
    const post = PostSchema.parse({ parts: [{ text: 'Main' }], firstComment: 'Link below', variants: { x: 'Short' } }) as Parameters<typeof toStepContent>[0]
    const stored = toStepContent(post)
    expect(stored).toEqual({ parts: [{ text: 'Main' }, { text: 'Link below' }], firstComment: true, variants: { x: { parts: [{ text: 'Short' }] } } })
    expect(fromStepContent(stored)).toEqual(post)
    expect(postForNetwork(post, 'x')).toEqual({ parts: [{ text: 'Short', images: [] }], firstComment: 'Link below' })
    expect(postForNetwork(post, 'mastodon')).toEqual({ parts: [{ text: 'Main', images: [] }], firstComment: 'Link below' })
  })

  it('refuses a variant without text or images, and keys that are not network names', () => {
    expect(PostSchema.safeParse({ parts: [{ text: 'Main' }], variants: { x: { parts: [{ text: ' ' }] } } }).error?.issues[0]).toMatchObject({ path: ['variants', 'x', 'parts', 0, 'text'] })
    expect(PostSchema.safeParse({ parts: [{ text: 'Main' }], variants: { 'Not a network': 'x' } }).success).toBe(false)
  })
})

describe('evergreenFromForm (decision 107)', () => {
  it('reads the checkbox, whole days or a duration, and the end; absent fields leave it unchanged', () => {
    expect(evergreenFromForm({})).toBeUndefined()
    expect(evergreenFromForm({ evergreenShown: '1', evergreenMinGap: '14', evergreenUntil: '2026-06-30T00:00' })).toBeNull()
    expect(evergreenFromForm({ evergreenShown: '1', evergreen: 'on', evergreenMinGap: ' 14 ', evergreenUntil: '2026-06-30T00:00' })).toEqual({ minGap: 'P14D', until: '2026-06-30T00:00' })
    expect(evergreenFromForm({ evergreenShown: '1', evergreen: 'on', evergreenMinGap: 'pt12h', evergreenUntil: '2026-06-30T00:00' })).toEqual({ minGap: 'PT12H', until: '2026-06-30T00:00' })
  })
  it('the series rule in words says how rounds repeat', () => {
    expect(describeSeriesRule({ rule: 'FREQ=WEEKLY;BYDAY=TU;BYHOUR=9;BYMINUTE=0', start: '2026-03-17T09:00', evergreen: { minGap: 'P2W', until: '2026-06-30T00:00' } }, 3)).toBe(
      'every Tuesday at 9:00, then again from post 1 at least 2 weeks after the last post, until 2026-06-30 00:00',
    )
  })
})
