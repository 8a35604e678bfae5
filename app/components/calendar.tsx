import FullCalendar from '@fullcalendar/react'
import dayGridPlugin from '@fullcalendar/react/daygrid'
import interactionPlugin from '@fullcalendar/react/interaction'
import listPlugin from '@fullcalendar/react/list'
import classicThemePlugin from '@fullcalendar/react/themes/classic'
import timeGridPlugin from '@fullcalendar/react/timegrid'

export type CalendarItem = {
  id: string
  seriesId: string
  title: string
  start: string
  state: string
  editable: boolean
}

/** Status colours: problems (failed, missed, needs review) stand out in red/orange; settled ones are muted. */
export const STATE_STYLE: Record<string, { color: string; label: string }> = {
  planned: { color: '#0b7285', label: 'Planned' },
  queued: { color: '#0b7285', label: 'Scheduled' },
  publishing: { color: '#1971c2', label: 'Publishing' },
  published: { color: '#237032', label: 'Published' },
  failed: { color: '#c92a2a', label: 'Failed' },
  missed: { color: '#c92a2a', label: 'Missed' },
  needs_review: { color: '#b03a0c', label: 'Needs review' },
  skipped: { color: '#5c636a', label: 'Skipped' },
  canceled: { color: '#5c636a', label: 'Canceled' },
}

/**
 * The schedule as month, week and list views (FullCalendar). Dragging a pending post calls `onMove`
 * with its new instant; the drop is reverted if the server refuses it.
 */
export function DeliveryCalendar(props: {
  items: CalendarItem[]
  timeZone: string
  initialDate?: string
  initialView?: string
  onMove(args: { id: string; seriesId: string; to: Date; revert(): void }): void
  onOpen(id: string): void
}) {
  return (
    <FullCalendar
      plugins={[classicThemePlugin, dayGridPlugin, timeGridPlugin, listPlugin, interactionPlugin]}
      initialView={props.initialView ?? 'dayGridMonth'}
      initialDate={props.initialDate}
      timeZone={props.timeZone}
      headerToolbar={{ start: 'prev,next today', center: 'title', end: 'dayGridMonth,timeGridWeek,listMonth' }}
      height="auto"
      eventTimeFormat={{ hour: '2-digit', minute: '2-digit', hour12: false }}
      events={props.items.map((item) => ({
        id: item.id,
        title: `${STATE_STYLE[item.state]?.label ?? item.state}: ${item.title}`,
        start: item.start,
        editable: item.editable,
        color: STATE_STYLE[item.state]?.color,
        extendedProps: { seriesId: item.seriesId, state: item.state },
        classNames: [`delivery-${item.state}`],
      }))}
      eventDrop={(info) => {
        const start = info.event.start
        if (!start) return info.revert()
        props.onMove({ id: info.event.id, seriesId: String(info.event.extendedProps.seriesId), to: start, revert: info.revert })
      }}
      eventClick={(info) => {
        info.jsEvent.preventDefault()
        props.onOpen(info.event.id)
      }}
    />
  )
}
