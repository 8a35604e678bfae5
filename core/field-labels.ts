/**
 * What a person reads instead of a field path (issue 20: the forms said `posts.0.parts.0.text:`, `to:`).
 * The API keeps the paths (its `field` is for programs); forms and pages say "Post 1, part 1".
 */
const LABELS: Record<string, string> = {
  name: 'Name',
  rule: 'Rule',
  start: 'Start',
  timezone: 'Time zone',
  accountIds: 'Accounts',
  posts: 'Posts',
  to: 'New time',
  from: 'From',
  seriesId: 'Series',
  deliveryId: 'Post',
  comment: 'Comment',
  policy: 'Resume policy',
  'evergreen.minGap': 'Evergreen minimum gap',
  'evergreen.until': 'Evergreen until',
}

/** "posts.0.parts.1.images.0.alt" → "Post 1, part 2, image 1, alt text"; a known field → its label; else the path. */
export function fieldLabel(path: string): string {
  const comment = /^posts\.(\d+)\.firstComment$/.exec(path)
  if (comment) return `Post ${Number(comment[1]) + 1}, first comment`
  const post = /^posts\.(\d+)(?:\.parts\.(\d+))?(?:\.(text|images)(?:\.(\d+))?(?:\.(alt|mediaId))?)?$/.exec(path)
  if (post) {
    const [, i, j, what, k, leaf] = post
    const parts = [`Post ${Number(i) + 1}`]
    if (j !== undefined && (Number(j) > 0 || what === 'images')) parts.push(`part ${Number(j) + 1}`)
    if (what === 'images') parts.push(k !== undefined ? `image ${Number(k) + 1}` : 'images')
    if (leaf === 'alt') parts.push('alt text')
    return parts.join(', ')
  }
  return LABELS[path] ?? path
}

/** A message that starts with a field path (`posts.0.parts.0.text: too long`) starts with its label instead. */
export function messageForPeople(message: string): string {
  return message
    .replace(/^([A-Za-z][\w]*(?:\.[\w]+)*): /, (_, path: string) => `${fieldLabel(path)}: `)
    .replace(/^(evergreen\.\w+|evergreen) (is |')/, (_, path: string, rest: string) => `${fieldLabel(path)} ${rest}`)
}

/** Every message of a form's errors, for people (the keys stay: they tie each message to its input). */
export function fieldErrorsForPeople(fieldErrors: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(fieldErrors).map(([field, message]) => [field, messageForPeople(message)]))
}
