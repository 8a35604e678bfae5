/**
 * Merge fields: `{{ key }}` or `{{ key | "fallback" }}` (single quotes work too). The value is the
 * contact's value for `key` (built-ins `email`, `name`, `first_name`, `timezone`, or a custom field
 * key); an empty or missing value uses the fallback, else the empty string.
 */

export type MergeValues = Record<string, string | number | null | undefined>

const TAG = /\{\{\s*([A-Za-z_][A-Za-z0-9_.]*)\s*(?:\|\s*(?:"([^"]*)"|'([^']*)'))?\s*\}\}/g

export type MergeTag = { key: string; fallback: string | undefined; start: number; end: number }

export function findMergeTags(template: string): MergeTag[] {
  const tags: MergeTag[] = []
  for (const match of template.matchAll(TAG)) {
    tags.push({ key: match[1]!, fallback: match[2] ?? match[3], start: match.index, end: match.index + match[0].length })
  }
  return tags
}

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!)
}

/** The value a tag stands for: the contact's, else the fallback, else ''. */
export function mergeValue(tag: Pick<MergeTag, 'key' | 'fallback'>, values: MergeValues): string {
  const raw = values[tag.key]
  const text = raw === null || raw === undefined ? '' : String(raw).trim()
  return text === '' ? (tag.fallback ?? '') : text
}

/** Replace every tag; `escape: 'html'` for HTML bodies, `'header'` for a subject (no line breaks), `'none'` for plain text. */
export function renderMergeFields(args: { template: string; values: MergeValues; escape: 'html' | 'header' | 'none' }): string {
  return args.template.replace(TAG, (_all, key: string, dq?: string, sq?: string) => {
    const value = mergeValue({ key, fallback: dq ?? sq }, args.values)
    if (args.escape === 'html') return escapeHtml(value)
    if (args.escape === 'header') return value.replace(/[\r\n]+/g, ' ')
    return value
  })
}

/** The merge values of a contact: built-ins plus custom fields. */
export function contactMergeValues(contact: { email: string; name: string | null; timezone: string | null; fields: Record<string, string | number | null> }): MergeValues {
  const name = contact.name?.trim() ?? ''
  return {
    ...contact.fields,
    email: contact.email,
    name,
    first_name: name.split(/\s+/)[0] ?? '',
    timezone: contact.timezone ?? '',
  }
}

/** Keys used by a template that no contact can have (typos): the editor shows them before activation. */
export function unknownMergeKeys(args: { template: string; knownKeys: Iterable<string> }): string[] {
  const known = new Set([...args.knownKeys, 'email', 'name', 'first_name', 'timezone'])
  return [...new Set(findMergeTags(args.template).map((t) => t.key))].filter((k) => !known.has(k))
}
