import { roleWithArticle } from './roles'

it('puts "an" before a role that starts with a vowel (issue 20: "as a editor")', () => {
  expect(roleWithArticle('editor')).toBe('an editor')
  expect(roleWithArticle('owner')).toBe('an owner')
  expect(roleWithArticle('viewer')).toBe('a viewer')
})
