import { useRouteLoaderData } from '@remix-run/react'

/**
 * "2026-03-17 09:00" in a zone: the same digits on the server and in every browser (numeric parts
 * only, 24-hour), so a page hydrates without a mismatch.
 */
export function formatInZone(iso: string, zone: string): string {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-US', { timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' })
      .formatToParts(new Date(iso))
      .map((p) => [p.type, p.value]),
  )
  return `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}`
}

/** The signed-in workspace's time zone (Settings → Workspace), from the app layout's loader; UTC outside it. */
export function useWorkspaceZone(): string {
  const app = useRouteLoaderData('routes/app') as { workspace?: { timezone?: string } } | undefined
  return app?.workspace?.timezone ?? 'UTC'
}

/**
 * An instant as people of this workspace read it: in the workspace's zone (issue 20: pages showed UTC
 * after the zone was set), the zone named unless `zoneShown` is false (a column header names it), and
 * UTC on hover. `null` shows `empty`.
 */
export function LocalTime(props: { at: string | Date | null | undefined; zone?: string; zoneShown?: boolean; empty?: string }) {
  const workspaceZone = useWorkspaceZone()
  if (!props.at) return <>{props.empty ?? '—'}</>
  const iso = typeof props.at === 'string' ? props.at : props.at.toISOString()
  const zone = props.zone ?? workspaceZone
  const utc = `${formatInZone(iso, 'UTC')} UTC`
  return (
    <time dateTime={iso} title={utc}>
      {`${formatInZone(iso, zone)}${props.zoneShown === false ? '' : zone === 'UTC' ? ' UTC' : ` (${zone})`}`}
    </time>
  )
}
