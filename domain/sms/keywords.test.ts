import { describe, expect, it } from 'vitest'
import { classifyInbound, keywordOf } from './keywords'

describe('classifyInbound', () => {
  it('reads the opt-out words in any case, with spaces and a final mark', () => {
    for (const body of ['STOP', 'stop', ' Stop ', 'STOPALL', 'unsubscribe', 'Cancel', 'END', 'quit', 'stop.']) expect(classifyInbound(body)).toBe('stop')
  })
  it('reads START / UNSTOP as opting back in and HELP as help', () => {
    expect(classifyInbound('start')).toBe('start')
    expect(classifyInbound('UNSTOP')).toBe('start')
    expect(classifyInbound('help')).toBe('help')
    expect(classifyInbound('Help?')).toBe('help')
  })
  it('treats a sentence as a reply, even one containing a keyword', () => {
    expect(classifyInbound('please stop texting me')).toBe('reply')
    expect(classifyInbound('YES please')).toBe('reply')
    expect(classifyInbound('')).toBe('reply')
  })
  it('names a one-word reply as its keyword', () => {
    expect(keywordOf(' demo! ')).toBe('DEMO')
    expect(keywordOf('two words')).toBeNull()
  })
})
