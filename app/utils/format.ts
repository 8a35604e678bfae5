/** `part` of `whole` as a whole percentage ("42%"), or "—" when there is nothing to divide by. */
export function percent(part: number, whole: number): string {
  return whole > 0 ? `${Math.round((part / whole) * 100)}%` : '—'
}

/** A rate already divided (0.125) to one decimal ("12.5%"): the analytics pages' precision. */
export function rate(fraction: number): string {
  return `${Math.round(fraction * 1000) / 10}%`
}
