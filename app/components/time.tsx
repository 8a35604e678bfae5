import { useRouteLoaderData } from '@remix-run/react'

/** How the person reads a clock (their locale setting, else their browser's): see domain/locale.ts. */
export type ClockPreferences = { hour12: boolean; firstDay: number }

const H24: ClockPreferences = { hour12: false, firstDay: 1 }

/** "20:05" or "8:05 PM": the one way a time of day is written on every page. */
export function formatClock(hour: number, minute: number, clock: Pick<ClockPreferences, 'hour12'> = H24): string {
  const mm = String(minute).padStart(2, '0')
  if (!clock.hour12) return `${String(hour).padStart(2, '0')}:${mm}`
  return `${hour % 12 || 12}:${mm} ${hour < 12 ? 'AM' : 'PM'}`
}

/**
 * "2026-03-17 09:00" (or "2026-03-17 9:00 AM" on a 12-hour clock) in a zone: the same text on the
 * server and in every browser (numeric parts, built here rather than by the locale), so a page
 * hydrates without a mismatch.
 */
export function formatInZone(iso: string, zone: string, clock: Pick<ClockPreferences, 'hour12'> = H24): string {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-US', { timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' })
      .formatToParts(new Date(iso))
      .map((p) => [p.type, p.value]),
  )
  return `${parts.year}-${parts.month}-${parts.day} ${formatClock(Number(parts.hour), Number(parts.minute), clock)}`
}

/** A wall time the server computed ("2026-11-03T18:00" or "2026-11-03 18:00") on the person's clock. */
export function formatWall(local: string, clock: Pick<ClockPreferences, 'hour12'> = H24): string {
  const match = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}):(\d{2})/.exec(local)
  return match ? `${match[1]} ${formatClock(Number(match[2]), Number(match[3]), clock)}` : local
}

/** The signed-in person's clock and first weekday, from the app layout's loader; 24-hour and Monday outside it. */
export function useClock(): ClockPreferences {
  const app = useRouteLoaderData('routes/app') as { preferences?: ClockPreferences } | undefined
  return app?.preferences ?? H24
}

/** The signed-in workspace's time zone (Settings → Workspace), from the app layout's loader; UTC outside it. */
export function useWorkspaceZone(): string {
  const app = useRouteLoaderData('routes/app') as { workspace?: { timezone?: string } } | undefined
  return app?.workspace?.timezone ?? 'UTC'
}

/**
 * An instant as people of this workspace read it: in the workspace's zone (issue 20: pages showed UTC
 * after the zone was set), on the person's 12- or 24-hour clock, the zone named unless `zoneShown` is false (a column header names it), and
 * UTC on hover. `null` shows `empty`.
 */
export function LocalTime(props: { at: string | Date | null | undefined; zone?: string; zoneShown?: boolean; empty?: string }) {
  const workspaceZone = useWorkspaceZone()
  const clock = useClock()
  if (!props.at) return <>{props.empty ?? '—'}</>
  const iso = typeof props.at === 'string' ? props.at : props.at.toISOString()
  const zone = props.zone ?? workspaceZone
  const utc = `${formatInZone(iso, 'UTC', clock)} UTC`
  return (
    <time dateTime={iso} title={utc}>
      {`${formatInZone(iso, zone, clock)}${props.zoneShown === false ? '' : zone === 'UTC' ? ' UTC' : ` (${zone})`}`}
    </time>
  )
}
