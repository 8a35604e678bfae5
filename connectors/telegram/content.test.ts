import { telegramChatId, telegramMessageUrl } from './content'

describe('Telegram chats and links', () => {
  it('reads a channel as @username, a t.me link or a numeric id', () => {
    expect(telegramChatId('@trickle_news')).toBe('@trickle_news')
    expect(telegramChatId('trickle_news')).toBe('@trickle_news')
    expect(telegramChatId('https://t.me/trickle_news')).toBe('@trickle_news')
    expect(telegramChatId('t.me/trickle_news/')).toBe('@trickle_news')
    expect(telegramChatId(' -1001234567890 ')).toBe('-1001234567890')
    expect(telegramChatId('https://t.me/+AbCdEf')).toBeNull()
    expect(telegramChatId('ab')).toBeNull()
    expect(telegramChatId('https://evil.example/trickle_news')).toBeNull()
  })

  it('links a public channel’s post by username, a private one by its id without -100', () => {
    expect(telegramMessageUrl({ id: '-1001234567890', username: 'trickle_news' }, '42')).toBe('https://t.me/trickle_news/42')
    expect(telegramMessageUrl({ id: '-1001234567890' }, '42')).toBe('https://t.me/c/1234567890/42')
    expect(telegramMessageUrl({ id: '-4567' }, '42')).toBeUndefined()
  })
})
