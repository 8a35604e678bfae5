import FullCalendar from '@fullcalendar/react'
import dayGridPlugin from '@fullcalendar/react/daygrid'
import interactionPlugin from '@fullcalendar/react/interaction'
import listPlugin from '@fullcalendar/react/list'
import classicThemePlugin from '@fullcalendar/react/themes/classic'
import timeGridPlugin from '@fullcalendar/react/timegrid'
import { forwardRef, useEffect, useImperativeHandle, useMemo, useRef, useState } from 'react'
import { NetworkIcon } from '~/components/network-icon'
import { formatClock, type ClockPreferences } from '~/components/time'

export type CalendarItem = {
  id: string
  seriesId: string
  title: string
  start: string
  state: string
  editable: boolean
  /** The whole post, shown on hover and focus (the chip shows its first words). */
  text?: string
  /** The account's network kind (its icon) and name, and the account's handle: the chip's accessible name. */
  kind?: string
  network?: string
  handle?: string
}

/** The chip's accessible name: time, status, network and account, then the post's first words. */
export function chipLabel(item: Pick<CalendarItem, 'state' | 'title' | 'network' | 'handle'>, time: string): string {
  const on = item.network ? ` on ${item.network}${item.handle ? ` @${item.handle}` : ''}` : ''
  return `${time ? `${time} ` : ''}${STATE_STYLE[item.state]?.label ?? item.state}${on}: ${item.title}`
}

/** The chip's visible text after the network's icon and the time: problems name their state (never colour alone). */
function chipText(item: Pick<CalendarItem, 'state' | 'title'>): string {
  const style = STATE_STYLE[item.state]
  return style?.problem ? `${style.icon} ${style.label} · ${item.title}` : `${style?.icon ?? ''} ${item.title}`.trim()
}

/** FullCalendar's time of an event or slot, written by the one helper every page uses. */
function clockFormatter(clock: ClockPreferences) {
  return (arg: { date: { hour: number; minute: number } }) => formatClock(arg.date.hour, arg.date.minute, clock)
}

type Tip = { id: string; text: string; top: number; left: number }

/** Why a post cannot be dragged (issue 20: a drag of a published post only selected text across the grid). */
export function whyNotMovable(state: string): string {
  if (state === 'published') return 'This post is already published: a published post stays where it went out.'
  if (state === 'publishing') return 'This post is being published right now, so it cannot move.'
  if (state === 'planned' || state === 'queued') return 'This post cannot move now: its series is paused or waits for approval, or your role cannot edit the schedule.'
  return 'Only scheduled posts can move. Open this post to see what happened to it.'
}

/**
 * Status colours: problems (failed, missed, needs review) stand out in red/orange with a warning sign
 * and their label in the event's text (never colour alone); settled ones are muted.
 */
export const STATE_STYLE: Record<string, { color: string; label: string; icon: string; problem?: boolean }> = {
  planned: { color: '#0b7285', label: 'Planned', icon: '◷' },
  queued: { color: '#0b7285', label: 'Scheduled', icon: '◷' },
  publishing: { color: '#1971c2', label: 'Publishing', icon: '↻' },
  published: { color: '#237032', label: 'Published', icon: '✓' },
  failed: { color: '#c92a2a', label: 'Failed', icon: '⚠', problem: true },
  missed: { color: '#c92a2a', label: 'Missed', icon: '⚠', problem: true },
  needs_review: { color: '#b03a0c', label: 'Needs review', icon: '⚠', problem: true },
  skipped: { color: '#5c636a', label: 'Skipped', icon: '⊘' },
  canceled: { color: '#5c636a', label: 'Canceled', icon: '⊘' },
}

/** Projected drip emails on a day, and the drips behind the count (app/routes/app.calendar_.emails.ts). */
export type EmailVolumeDay = { date: string; count: number; drips: Array<{ id: string; name: string; count: number }> }

export const emailVolumeTitle = (count: number) => `✉ ${count} drip ${count === 1 ? 'email' : 'emails'}`

const DAY_MS = 86_400_000

/**
 * The schedule as month, week and list views (FullCalendar). Dragging a pending post calls `onMove`
 * with its new instant; the drop is reverted if the server refuses it.
 */
export function DeliveryCalendar(props: {
  items: CalendarItem[]
  timeZone: string
  initialDate?: string
  initialView?: string
  /** Projected drip emails for the visible days (`to` inclusive); asked again whenever the view changes. */
  loadEmailVolume?: (range: { from: string; to: string }) => Promise<EmailVolumeDay[]>
  onMove(args: { id: string; seriesId: string; to: Date; revert(): void }): void
  onOpen(id: string): void
  onOpenEmails?(day: EmailVolumeDay): void
  /** A drag started on a post that cannot move: say why. */
  onLockedDrag?(message: string): void
  /** The person's 12/24-hour clock and first weekday. */
  clock: ClockPreferences
}) {
  const { loadEmailVolume } = props
  // The whole post while its chip is hovered or focused, in a component of its own: its state changes
  // must not re-render FullCalendar (new options mid-drag dropped the drag; the moved post never arrived).
  const tipRef = useRef<PostTooltipHandle>(null)
  const showTip = (el: HTMLElement, id: string, text: string) => tipRef.current?.show(el, id, text)
  const hideTip = (delay = 0) => tipRef.current?.hide(delay)
  // The visible range (FullCalendar's `datesSet`) and the drip emails asked for it. Kept in state and
  // drawn through `events` with the posts: an `eventSources` entry that comes and goes with the filters
  // made FullCalendar drop the posts as well.
  const [range, setRange] = useState<{ from: string; to: string } | null>(null)
  const [emailDays, setEmailDays] = useState<EmailVolumeDay[]>([])
  useEffect(() => {
    if (!loadEmailVolume || !range) return setEmailDays([])
    let current = true
    loadEmailVolume(range).then(
      (days) => current && setEmailDays(days),
      () => current && setEmailDays([]),
    )
    return () => {
      current = false
    }
  }, [loadEmailVolume, range])
  // Memoised: a new `events` array makes FullCalendar reset its events, and a drag in progress with them.
  const events = useMemo(
    () => [
      ...props.items.map((item) => ({
        id: item.id,
        title: chipText(item),
        start: item.start,
        editable: item.editable,
        color: STATE_STYLE[item.state]?.color,
        extendedProps: { seriesId: item.seriesId, state: item.state, text: item.text, editable: item.editable, item },
        className: [`delivery-${item.state}`, ...(STATE_STYLE[item.state]?.problem ? ['delivery-problem'] : [])].join(' '),
      })),
      ...emailDays.map((day) => ({
        id: `email-${day.date}`,
        title: emailVolumeTitle(day.count),
        start: day.date,
        allDay: true,
        editable: false,
        color: '#5f3dc4',
        extendedProps: { kind: 'email-volume', day },
        className: 'email-volume',
      })),
    ],
    [props.items, emailDays],
  )
  return (
    <>
      <FullCalendar
        plugins={[classicThemePlugin, dayGridPlugin, timeGridPlugin, listPlugin, interactionPlugin]}
        initialView={props.initialView ?? 'dayGridMonth'}
        initialDate={props.initialDate}
        timeZone={props.timeZone}
        headerToolbar={{ start: 'prev,next today', center: 'title', end: 'dayGridMonth,timeGridWeek,listMonth' }}
        height="auto"
        firstDay={props.clock.firstDay}
        eventTimeFormat={clockFormatter(props.clock)}
        slotHeaderFormat={clockFormatter(props.clock)}
        datesSet={(info) => {
          const from = info.startStr.slice(0, 10)
          const to = new Date(Date.parse(`${info.endStr.slice(0, 10)}T00:00:00Z`) - DAY_MS).toISOString().slice(0, 10)
          setRange((previous) => (previous?.from === from && previous.to === to ? previous : { from, to }))
        }}
        events={events}
        eventDragStart={() => hideTip()}
        eventContent={(arg) => {
          const item = arg.event.extendedProps.item as CalendarItem | undefined
          // Drip email counts: their title alone.
          if (!item) return <span className="post-chip-text">{arg.event.title}</span>
          return (
            <span className="post-chip">
              {item.kind ? <NetworkIcon kind={item.kind} /> : null}
              {arg.timeText ? <span className="post-chip-time">{arg.timeText}</span> : null}
              <span className="post-chip-text">{arg.event.title}</span>
            </span>
          )
        }}
        eventDidMount={(info) => {
          const { text, editable, state, kind, item } = info.event.extendedProps as {
            text?: string
            editable?: boolean
            state?: string
            kind?: string
            item?: CalendarItem
          }
          if (kind === 'email-volume') return
          if (item) {
            info.el.setAttribute('role', 'button')
            info.el.setAttribute('aria-label', chipLabel(item, info.timeText))
          }
          if (text) {
            const id = info.event.id
            info.el.addEventListener('mouseenter', () => showTip(info.el, id, text))
            info.el.addEventListener('focus', () => showTip(info.el, id, text))
            info.el.addEventListener('mouseleave', () => hideTip(200))
            info.el.addEventListener('blur', () => hideTip())
            info.el.addEventListener('keydown', (key) => key.key === 'Escape' && hideTip())
          }
          if (editable || !state) return
          // A post that cannot move: no text selection across the grid, and a drag says why.
          info.el.style.userSelect = 'none'
          info.el.addEventListener('pointerdown', (down) => {
            const moved = (move: PointerEvent) => {
              if (Math.hypot(move.clientX - down.clientX, move.clientY - down.clientY) < 6) return
              stop()
              props.onLockedDrag?.(whyNotMovable(state))
            }
            const stop = () => {
              window.removeEventListener('pointermove', moved)
              window.removeEventListener('pointerup', stop)
            }
            window.addEventListener('pointermove', moved)
            window.addEventListener('pointerup', stop)
          })
        }}
        eventDrop={(info) => {
          if (info.event.extendedProps.kind === 'email-volume') return info.revert()
          const start = info.event.start
          if (!start) return info.revert()
          props.onMove({
            id: info.event.id,
            seriesId: String(info.event.extendedProps.seriesId),
            to: start,
            revert: info.revert,
          })
        }}
        eventClick={(info) => {
          info.jsEvent.preventDefault()
          if (info.event.extendedProps.kind === 'email-volume') return props.onOpenEmails?.(info.event.extendedProps.day as EmailVolumeDay)
          hideTip()
          props.onOpen(info.event.id)
        }}
      />
      <PostTooltip ref={tipRef} />
    </>
  )
}

const TIP_ID = 'post-tooltip'

type PostTooltipHandle = { show(el: HTMLElement, id: string, text: string): void; hide(delay?: number): void }

/**
 * One tooltip for the calendar, placed under the hovered or focused chip (a tooltip inside the chip would
 * be clipped by the day cell). It stays while the pointer moves onto it, and Escape closes it (WCAG 1.4.13).
 */
const PostTooltip = forwardRef<PostTooltipHandle>(function PostTooltip(_props, ref) {
  const [tip, setTip] = useState<Tip | null>(null)
  const hideTimer = useRef<ReturnType<typeof setTimeout>>()
  const owner = useRef<HTMLElement | null>(null)
  const place = (el: HTMLElement) => {
    const rect = el.getBoundingClientRect()
    return { top: rect.bottom + 4, left: Math.max(4, Math.min(rect.left, window.innerWidth - 360)) }
  }
  const hide = (delay = 0) => {
    clearTimeout(hideTimer.current)
    hideTimer.current = setTimeout(() => {
      owner.current?.removeAttribute('aria-describedby')
      owner.current = null
      setTip(null)
    }, delay)
  }
  useImperativeHandle(ref, () => ({
    show(el, id, text) {
      clearTimeout(hideTimer.current)
      owner.current?.removeAttribute('aria-describedby')
      owner.current = el
      el.setAttribute('aria-describedby', TIP_ID)
      setTip({ id, text, ...place(el) })
    },
    hide,
  }))
  useEffect(() => () => clearTimeout(hideTimer.current), [])
  // Placed in the viewport: it follows its chip when the page scrolls.
  const shown = tip !== null
  useEffect(() => {
    if (!shown) return
    // The element is read now: by the time React runs the updater, a hide may have cleared `owner`.
    const follow = () => {
      const el = owner.current
      if (el) setTip((current) => current && { ...current, ...place(el) })
    }
    window.addEventListener('scroll', follow, { passive: true })
    return () => window.removeEventListener('scroll', follow)
  }, [shown])
  if (!tip) return null
  return (
    <div id={TIP_ID} role="tooltip" className="post-tooltip" data-delivery={tip.id} style={{ top: tip.top, left: tip.left }} onMouseEnter={() => clearTimeout(hideTimer.current)} onMouseLeave={() => hide()}>
      {tip.text}
    </div>
  )
})
