import { COMMON_PASSWORD_MESSAGE, passwordProblem } from './passwords'

describe('passwordProblem', () => {
  it('refuses common and easily guessed passwords of any length', () => {
    for (const password of ['password1234', '123456789012', 'qwertyuiopasdf', 'Password123!', 'iloveyou1234', 'trustno1trustno1']) {
      expect(passwordProblem(password), password).toBe(COMMON_PASSWORD_MESSAGE)
    }
  })

  it('refuses the email or name as password, and short ones', () => {
    expect(passwordProblem('ada@example.com1', ['ada@example.com'])).toMatch(/email or name/)
    expect(passwordProblem('short')).toBe('Use at least 12 characters')
  })

  it('accepts passphrases', () => {
    for (const password of ['correct horse battery staple', 'a long operator password', 'a long enough password', 'a brand new passphrase']) {
      expect(passwordProblem(password), password).toBeNull()
    }
  })
})
