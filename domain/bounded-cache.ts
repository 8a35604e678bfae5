/**
 * A cache of at most `limit` computed values by key, the oldest dropped first: for results that depend
 * only on their key (a parsed template, a step's sanitised body, a link with its UTM parameters) in a
 * long-lived worker, where an unbounded map would grow with every template ever seen.
 */
export function boundedCache<V>(limit: number): (key: string, compute: () => V) => V {
  const entries = new Map<string, V>()
  return (key, compute) => {
    if (entries.has(key)) return entries.get(key)!
    const value = compute()
    if (entries.size >= limit) entries.delete(entries.keys().next().value!)
    entries.set(key, value)
    return value
  }
}
