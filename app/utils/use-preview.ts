import { useCallback, useEffect, useRef, useState } from 'react'

/**
 * A live preview posted with plain `fetch`, outside Remix's router (decision 086). A fetcher's POST is
 * an action to the router: when it completed while a form's redirect was loading, the router aborted
 * that navigation and kept the old page data, so the user's Save or Activate seemed to do nothing (the
 * toast lost, the status unchanged) though the server had done it. Previews write nothing, so they need
 * none of the router's revalidation. The newest request wins: an older one still running is aborted.
 */
export function usePreview<T>(action: string) {
  const [data, setData] = useState<T | undefined>(undefined)
  const [loading, setLoading] = useState(false)
  const current = useRef<AbortController | null>(null)
  useEffect(() => () => current.current?.abort(), [])
  const submit = useCallback(
    (body: FormData | Record<string, string>) => {
      current.current?.abort()
      const controller = new AbortController()
      current.current = controller
      setLoading(true)
      const form = body instanceof FormData ? body : new URLSearchParams(body)
      fetch(action, { method: 'POST', body: form, credentials: 'same-origin', headers: { Accept: 'application/json' }, signal: controller.signal })
        .then(async (response) => {
          // A 4xx preview answers with its problems as JSON; anything else (a sign-in page) is no preview.
          const json = response.headers.get('content-type')?.includes('application/json') ? ((await response.json()) as T) : undefined
          if (!controller.signal.aborted) setData(json)
        })
        .catch((error: unknown) => {
          if (!controller.signal.aborted) console.warn(`Preview ${action} failed`, error)
        })
        .finally(() => {
          if (current.current === controller) {
            current.current = null
            setLoading(false)
          }
        })
    },
    [action],
  )
  return { data, loading, submit }
}
