import { redirect } from '@remix-run/node'
import { z } from 'zod'
import type { Services } from '../core.server'
import { appCookie } from './session.server'

/**
 * A one-time message for the next page ("The feed URL was regenerated"): a signed cookie set with a
 * redirect, read and cleared by the root loader, shown as a Mantine notification (app/components/toasts.tsx).
 */
export const ToastSchema = z.object({
  kind: z.enum(['success', 'error', 'info']).default('success'),
  title: z.string().max(120).optional(),
  message: z.string().max(500),
})
export type Toast = z.infer<typeof ToastSchema>

const COOKIE = 'trickle_toast'

function toastCookie(services: Services) {
  return appCookie(services.config, COOKIE, { maxAgeSeconds: 60 })
}

/** Headers that carry `toast` to the next page. */
export async function toastHeaders(services: Services, toast: Toast, headers: Headers = new Headers()): Promise<Headers> {
  headers.append('Set-Cookie', await toastCookie(services).serialize(JSON.stringify(toast)))
  return headers
}

/** Redirect and show `toast` on the page redirected to. */
export async function redirectWithToast(services: Services, url: string, toast: Toast, init: ResponseInit = {}): Promise<Response> {
  return redirect(url, { ...init, headers: await toastHeaders(services, toast, new Headers(init.headers)) })
}

/** The pending toast of this request (if any) and the header that clears it. */
export async function readToast(request: Request, services: Services): Promise<{ toast: Toast | null; headers: Headers }> {
  const cookie = toastCookie(services)
  const raw = (await cookie.parse(request.headers.get('Cookie'))) as unknown
  const headers = new Headers()
  if (raw === null || raw === undefined || raw === '') return { toast: null, headers }
  headers.append('Set-Cookie', await cookie.serialize('', { maxAge: 0 }))
  try {
    const parsed = ToastSchema.safeParse(JSON.parse(String(raw)))
    return { toast: parsed.success ? parsed.data : null, headers }
  } catch {
    return { toast: null, headers }
  }
}
