/** `part` of `whole` as a whole percentage ("42%"), or "—" when there is nothing to divide by. */
export function percent(part: number, whole: number): string {
  return whole > 0 ? `${Math.round((part / whole) * 100)}%` : '—'
}

/** A rate already divided (0.125) to one decimal ("12.5%"): the analytics pages' precision. */
export function rate(fraction: number): string {
  return `${Math.round(fraction * 1000) / 10}%`
}

/** Networks whose account names read as @handles; others show theirs as is (a Slack #channel, a Discord webhook's name, a LinkedIn member's name, a URL). */
const AT_HANDLES = new Set(['x', 'mastodon', 'bluesky', 'threads', 'loopback'])

/** An account as people name it: `@handle` on X, Mastodon and Bluesky; a Telegram channel's @username, or its title. */
export function accountName(account: { kind?: string; network: string; handle: string }): string {
  // `kind` is the registry's key; pages that carry only `network` carry either the key or its display name ("X").
  const kind = (account.kind ?? account.network).toLowerCase()
  if (AT_HANDLES.has(kind)) return `@${account.handle}`
  return kind === 'telegram' && /^\w{5,}$/.test(account.handle) ? `@${account.handle}` : account.handle
}
