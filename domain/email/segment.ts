import type { SegmentCondition, SegmentRule } from './types'

/** What a segment rule can see of a contact; `score` is the current (decayed) lead score. */
export type ContactFacts = {
  email: string
  name: string | null
  timezone: string | null
  status: string
  tags: readonly string[]
  fields: Record<string, string | number | null>
  score: number
  activity: ReadonlyArray<{ type: string; name: string | null; occurredAt: Date }>
}

export function matchesSegment(args: { rule: SegmentRule; contact: ContactFacts; now: Date }): boolean {
  const { rule } = args
  const test = (c: SegmentCondition | SegmentRule) =>
    'match' in c ? matchesSegment({ ...args, rule: c }) : matchesCondition({ condition: c, contact: args.contact, now: args.now })
  // An empty `all` matches everyone, an empty `any` matches no one (the usual identities).
  return rule.match === 'all' ? rule.conditions.every(test) : rule.conditions.some(test)
}

function fieldValue(contact: ContactFacts, field: string): string | number | null {
  if (field === 'email') return contact.email
  if (field === 'name') return contact.name
  if (field === 'timezone') return contact.timezone
  return contact.fields[field] ?? null
}

function compare(a: string | number, b: string | number): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b
  const x = String(a).toLowerCase()
  const y = String(b).toLowerCase()
  return x < y ? -1 : x > y ? 1 : 0
}

export function matchesCondition(args: { condition: SegmentCondition; contact: ContactFacts; now: Date }): boolean {
  const { condition: c, contact, now } = args
  switch (c.kind) {
    case 'field': {
      const value = fieldValue(contact, c.field)
      const present = value !== null && value !== ''
      if (c.op === 'exists') return present
      if (c.op === 'missing') return !present
      if (!present || c.value === undefined) return c.op === 'neq'
      switch (c.op) {
        case 'eq':
          return compare(value, c.value) === 0
        case 'neq':
          return compare(value, c.value) !== 0
        case 'contains':
          return String(value).toLowerCase().includes(String(c.value).toLowerCase())
        case 'gt':
          return compare(value, c.value) > 0
        case 'gte':
          return compare(value, c.value) >= 0
        case 'lt':
          return compare(value, c.value) < 0
        case 'lte':
          return compare(value, c.value) <= 0
      }
      return false
    }
    case 'tag':
      return contact.tags.includes(c.tag) === c.has
    case 'score':
      return c.op === 'gt' ? contact.score > c.value : c.op === 'gte' ? contact.score >= c.value : c.op === 'lt' ? contact.score < c.value : contact.score <= c.value
    case 'status':
      return contact.status === c.status
    case 'activity': {
      const since = c.withinDays === undefined ? -Infinity : now.getTime() - c.withinDays * 86_400_000
      const happened = contact.activity.some(
        (a) => a.type === c.activity && (c.name === undefined || a.name === c.name) && a.occurredAt.getTime() >= since && a.occurredAt.getTime() <= now.getTime(),
      )
      return c.negate ? !happened : happened
    }
  }
}
