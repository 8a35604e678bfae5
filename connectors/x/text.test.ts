import { comparableText, weightedLength } from './text'

describe('X text', () => {
  it('weighs text the way X does', () => {
    expect(weightedLength('hello')).toBe(5)
    expect(weightedLength('日本')).toBe(4)
    expect(weightedLength(`see https://example.com/${'a'.repeat(100)}`)).toBe(4 + 23)
  })

  it('compares our text with what the timeline returns', () => {
    expect(comparableText('Q&A <live> https://trickle.example/a?b=1')).toBe(comparableText('Q&amp;A &lt;live&gt; https://t.co/xyz'))
    expect(comparableText('one')).not.toBe(comparableText('one two'))
  })
})
