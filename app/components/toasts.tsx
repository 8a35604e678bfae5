import { notifications } from '@mantine/notifications'
import { useEffect, useRef } from 'react'

export type ToastMessage = { kind?: 'success' | 'error' | 'info'; title?: string; message: string }

const COLORS = { success: 'teal', error: 'red', info: 'blue' } as const

/** Shows a notification once for each new `toast` (a flash from the root loader, or an action's result). */
export function useToast(toast: ToastMessage | null | undefined) {
  const shown = useRef<ToastMessage | null>(null)
  useEffect(() => {
    if (!toast || shown.current === toast) return
    shown.current = toast
    const kind = toast.kind ?? 'success'
    notifications.show({
      title: toast.title,
      message: toast.message,
      color: COLORS[kind],
      autoClose: kind === 'error' ? false : 6000,
      withBorder: true,
      // Mantine's close button is an icon without a name (axe: button-name).
      closeButtonProps: { 'aria-label': 'Close notification' },
      // Results are announced politely; failures interrupt.
      role: kind === 'error' ? 'alert' : 'status',
    })
  }, [toast])
}
