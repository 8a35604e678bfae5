import { fieldErrorsForPeople, fieldLabel, messageForPeople } from './field-labels'

describe('field labels for people', () => {
  it('names posts, parts and images as the editor does', () => {
    expect(fieldLabel('posts.0.parts.0.text')).toBe('Post 1')
    expect(fieldLabel('posts.2')).toBe('Post 3')
    expect(fieldLabel('posts.1.parts.2.text')).toBe('Post 2, part 3')
    expect(fieldLabel('posts.0.parts.0.images.1.alt')).toBe('Post 1, part 1, image 2, alt text')
    expect(fieldLabel('to')).toBe('New time')
    expect(fieldLabel('timezone')).toBe('Time zone')
  })
  it('replaces a leading path in a message, and leaves other messages alone', () => {
    expect(messageForPeople('posts.0.parts.0.text: too long for X (290/280)')).toBe('Post 1: too long for X (290/280)')
    expect(messageForPeople('to: a post can only be moved into the future')).toBe('New time: a post can only be moved into the future')
    expect(messageForPeople('Enter a name')).toBe('Enter a name')
    expect(messageForPeople('Too long: 12:30 is not a time')).toBe('Too long: 12:30 is not a time')
    expect(fieldErrorsForPeople({ 'posts.1': 'posts.1: post 2 has already gone out' })).toEqual({ 'posts.1': 'Post 2: post 2 has already gone out' })
  })
})
