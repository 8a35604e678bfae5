import { findUncleanText, firstWords, isCleanLine, isCleanText, lineSchema, MAX_JSON_DEPTH } from './text'

describe('clean text', () => {
  it('allows tab and newlines in text, no other C0 control character, no unpaired surrogate', () => {
    expect(isCleanText('two lines\r\n\tindented — ünïcödé 🎉')).toBe(true)
    for (const bad of ['a\u0000b', '\u0001', 'bell\u0007', 'esc\u001b[0m', 'form\u000c', 'lone \ud800', '\udc00 first']) expect(isCleanText(bad), JSON.stringify(bad)).toBe(false)
  })

  it('allows no control character at all in a line', () => {
    expect(isCleanLine('Acme Inc. 🎉')).toBe(true)
    for (const bad of ['a\nb', 'a\tb', 'a\rb', 'a\u0000']) expect(isCleanLine(bad), JSON.stringify(bad)).toBe(false)
    expect(lineSchema().trim().min(1).safeParse('x\u0000').success).toBe(false)
    expect(lineSchema().trim().min(1).parse('  Acme ')).toBe('Acme')
  })

  it('names the first unclean string or key of a JSON value, and refuses deep nesting without recursion', () => {
    expect(findUncleanText({ name: 'ok', steps: [{ subject: 'fine' }, { subject: 'x\u0000' }] })).toEqual({ path: ['steps', 1, 'subject'], problem: 'control' })
    expect(findUncleanText({ properties: { 'k\u0000': 1 } })).toEqual({ path: ['properties', 'k\u0000'], problem: 'control' })
    expect(findUncleanText({ a: [1, true, null, 'line\nbreak'] })).toBeNull()
    const deep = JSON.parse(`${'['.repeat(100_000)}"x"${']'.repeat(100_000)}`) as unknown
    expect(findUncleanText(deep)?.problem).toBe('depth')
    expect(findUncleanText(JSON.parse(`${'['.repeat(MAX_JSON_DEPTH)}"x"${']'.repeat(MAX_JSON_DEPTH)}`))).toBeNull()
  })
})

describe('firstWords', () => {
  it('keeps a short text whole, on one line', () => {
    expect(firstWords('Fresh bread\nevery morning.')).toBe('Fresh bread every morning.')
  })
  it('cuts a long one at a word', () => {
    expect(firstWords('Spring tip 3: water early, weed often, and mulch the beds before the summer heat arrives. #garden', 40)).toBe('Spring tip 3: water early, weed often…')
  })
  it('cuts an unbroken string at the limit', () => {
    expect(firstWords('a'.repeat(100), 10)).toBe(`${'a'.repeat(10)}…`)
  })
})
