import { useMatches } from '@remix-run/react'

/**
 * The hidden CSRF field every POST form carries. The token comes from the nearest route loader that
 * returned `csrfToken` (the app shell for signed-in pages; the page itself for log-in, sign-up, invitations).
 */
export function CsrfInput() {
  const token = useMatches()
    .map((match) => (match.data as { csrfToken?: unknown } | undefined)?.csrfToken)
    .findLast((value): value is string => typeof value === 'string')
  return <input type="hidden" name="csrf" value={token ?? ''} />
}
