import fcSkeleton from '@fullcalendar/react/skeleton.css'
import fcPalette from '@fullcalendar/react/themes/classic/palette.css'
import fcTheme from '@fullcalendar/react/themes/classic/theme.css'
import calendarStyles from '~/styles/calendar.css'
import { Alert, Badge, Button, CopyButton, Group, List, Modal, NativeSelect, Paper, Stack, Text, TextInput, Title } from '@mantine/core'
import { data, type ActionFunctionArgs, type LinksFunction, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node'
import { Form, Link, useActionData, useFetcher, useLoaderData, useMatches } from '@remix-run/react'
import { useCallback, useEffect, useMemo, useState } from 'react'
import { Temporal } from 'temporal-polyfill'
import { DeliveryCalendar, emailVolumeTitle, STATE_STYLE, type EmailVolumeDay } from '~/components/calendar'
import { CsrfInput } from '~/components/csrf-input'
import { GeneralErrorBoundary } from '~/components/error-boundary'
import { useToast } from '~/components/toasts'
import { notFound, requireMembership, roleAtLeast } from '~/utils/auth.server'
import { loadCalendarPage, calendarFeedUrl, CalendarActionSchema, runCalendarAction, fieldErrorsForPeople, messageForPeople } from '../core.server'
import { readForm } from '~/utils/forms.server'
import { LocalTime, useClock } from '~/components/time'

export const meta: MetaFunction = () => [{ title: 'Calendar · Trickle' }]
export const links: LinksFunction = () => [fcSkeleton, fcTheme, fcPalette, calendarStyles].map((href) => ({ rel: 'stylesheet', href }))

export async function loader({ request, context }: LoaderFunctionArgs) {
  const { services } = context
  const { workspace, membership } = await requireMembership(request, services)
  const page = await loadCalendarPage(services, { workspaceId: workspace.id, params: new URL(request.url).searchParams })
  const feedUrl = await calendarFeedUrl(services, { workspaceId: workspace.id })
  return { ...page, feedUrl, canEdit: roleAtLeast(membership.role, 'editor') }
}

export async function action({ request, context }: ActionFunctionArgs) {
  const { services } = context
  const { workspace } = await requireMembership(request, services, { role: 'editor' })
  const form = await readForm(request, services, CalendarActionSchema)
  if (!form.ok) return data({ ok: false as const, error: Object.values(fieldErrorsForPeople(form.fieldErrors)).join(' '), field: Object.keys(form.fieldErrors)[0] }, { status: 400 })
  const result = await runCalendarAction(services, { workspaceId: workspace.id, action: form.data })
  if (!result.ok && result.status === 404) throw notFound('No such post in this workspace')
  return data(result.ok ? result : { ...result, error: messageForPeople(result.error) }, { status: result.ok ? 200 : result.status })
}

function useCsrfToken(): string {
  return (
    useMatches()
      .map((m) => (m.data as { csrfToken?: unknown } | undefined)?.csrfToken)
      .findLast((v): v is string => typeof v === 'string') ?? ''
  )
}

export default function Calendar() {
  const { items, filters, options, canEdit, feedUrl } = useLoaderData<typeof loader>()
  const actionResult = useActionData<typeof action>()
  const mover = useFetcher<typeof action>()
  const csrf = useCsrfToken()
  const clock = useClock()
  const [openId, setOpenId] = useState<string | null>(null)
  const [lockedMessage, setLockedMessage] = useState<string | null>(null)
  const [pendingRevert, setPendingRevert] = useState<(() => void) | null>(null)
  const open = items.find((i) => i.id === openId) ?? null
  // One array per loader answer: the calendar resets its events (and any drag in progress) on a new one.
  const chips = useMemo(() => items.map((i) => ({ ...i, editable: canEdit && i.editable })), [items, canEdit])
  const [emailDay, setEmailDay] = useState<EmailVolumeDay | null>(null)
  // Drip emails sit beside the posts unless the filters name an account, a series or another channel.
  const showEmails = !filters.account && !filters.series && (!filters.channel || filters.channel === 'email')
  const loadEmailVolume = useCallback(
    async (range: { from: string; to: string }): Promise<EmailVolumeDay[]> => {
      // FullCalendar also asks while rendering on the server: the browser asks again once the page runs.
      if (typeof document === 'undefined') return []
      const response = await fetch(`/app/calendar/emails?${new URLSearchParams({ ...range, tz: filters.tz })}`)
      const body = response.ok ? ((await response.json()) as { days: EmailVolumeDay[] }) : null
      return body?.days ?? []
    },
    [filters.tz],
  )
  const moveError = mover.data && !mover.data.ok ? mover.data.error : null
  useToast(useMemo(() => (mover.data?.ok ? { kind: 'success' as const, title: 'Moved', message: mover.data.message } : null), [mover.data]))
  useToast(useMemo(() => (actionResult?.ok ? { kind: 'success' as const, message: actionResult.message } : null), [actionResult]))

  useEffect(() => {
    if (mover.state === 'idle' && mover.data && !mover.data.ok && pendingRevert) {
      pendingRevert()
      setPendingRevert(null)
    }
  }, [mover.state, mover.data, pendingRevert])

  return (
    <Stack maw={1200}>
      <Group justify="space-between">
        <Title order={1}>Calendar</Title>
        <Button component={Link} to="/app/series/new">
          New series
        </Button>
      </Group>
      <Form method="get" aria-label="Calendar filters">
        <Group align="end" wrap="wrap" gap="sm">
          <NativeSelect label="Time zone" name="tz" defaultValue={filters.tz} data={options.timezones} />
          <NativeSelect label="Account" name="account" defaultValue={filters.account} data={[{ value: '', label: 'All accounts' }, ...options.accounts]} />
          <NativeSelect label="Channel" name="channel" defaultValue={filters.channel} data={[{ value: '', label: 'All channels' }, ...options.channels]} />
          <NativeSelect label="Series" name="series" defaultValue={filters.series} data={[{ value: '', label: 'All series' }, ...options.series]} />
          <NativeSelect label="Status" name="status" defaultValue={filters.status} data={[{ value: '', label: 'Any status' }, ...options.statuses]} />
          <Button type="submit" variant="default">
            Apply
          </Button>
        </Group>
      </Form>
      <Group gap="xs" role="list" aria-label="Status colours">
        {['queued', 'published', 'failed', 'missed', 'needs_review', 'skipped'].map((state) => (
          <Badge key={state} role="listitem" color={STATE_STYLE[state]!.color} variant="filled">
            {STATE_STYLE[state]!.icon} {STATE_STYLE[state]!.label}
          </Badge>
        ))}
      </Group>
      {lockedMessage ? (
        <Alert color="blue" role="status" title="This post cannot move" withCloseButton onClose={() => setLockedMessage(null)}>
          {lockedMessage}
        </Alert>
      ) : null}
      {moveError ? (
        <Alert color="red" role="alert" title="The post was not moved">
          {moveError}
        </Alert>
      ) : null}
      {actionResult && !actionResult.ok ? (
        <Alert color="red" role="alert">
          {actionResult.error}
        </Alert>
      ) : null}
      {items.length === 0 ? (
        filters.account || filters.series || filters.status || filters.channel ? (
          <Alert color="gray" title="Nothing matches these filters">
            <Link to="/app/calendar">Show everything</Link> or choose other filters.
          </Alert>
        ) : (
          <Alert color="teal" title="Nothing scheduled yet">
            Posts appear here once a series is scheduled. <Link to="/app/series/new">Create a series</Link>
            {options.accounts.length === 0 ? (
              <>
                {' '}
                (first <Link to="/app/accounts">connect an account</Link> to publish to)
              </>
            ) : null}
            .
          </Alert>
        )
      ) : null}
      <div data-testid="calendar">
        <DeliveryCalendar
          items={chips}
          timeZone={filters.tz}
          clock={clock}
          initialDate={filters.date}
          loadEmailVolume={showEmails ? loadEmailVolume : undefined}
          onOpenEmails={setEmailDay}
          onOpen={setOpenId}
          onLockedDrag={setLockedMessage}
          onMove={({ id, seriesId, to, revert }) => {
            setPendingRevert(() => revert)
            mover.submit({ csrf, intent: 'move', deliveryId: id, seriesId, to: to.toISOString() }, { method: 'post' })
          }}
        />
      </div>
      <Text size="sm" c="dimmed">
        Drag a scheduled post to another day or time to move it, or open it (click, or Tab to it and press Enter) and enter the new time. Only that date changes, not the rule.
      </Text>
      <CalendarFeed url={feedUrl} canEdit={canEdit} />
      <Modal opened={emailDay !== null} onClose={() => setEmailDay(null)} title={emailDay ? `${emailVolumeTitle(emailDay.count)} on ${emailDay.date}` : ''}>
        {emailDay ? (
          <Stack gap="xs">
            <Text size="sm">Projected from the active enrollments of active drips: an upper bound (every condition counted as true).</Text>
            <List>
              {emailDay.drips.map((d) => (
                <List.Item key={d.id}>
                  <Link to={`/app/drips/${d.id}`}>{d.name}</Link>: {d.count} {d.count === 1 ? 'email' : 'emails'}
                </List.Item>
              ))}
            </List>
          </Stack>
        ) : null}
      </Modal>
      <Modal opened={open !== null} onClose={() => setOpenId(null)} title={open ? `${open.seriesName} · post ${open.post}` : ''}>
        {open ? (
          <Stack>
            <Text style={{ whiteSpace: 'pre-wrap' }}>{open.text}</Text>
            <Text size="sm">
              @{open.handle} · <LocalTime at={open.start} zone={filters.tz} />
            </Text>
            <Group gap="xs">
              <Text size="sm">Status:</Text>
              <Badge color={STATE_STYLE[open.state]?.color} variant="filled">
                {STATE_STYLE[open.state]?.icon} {STATE_STYLE[open.state]?.label ?? open.state}
              </Badge>
            </Group>
            {open.lastError ? (
              <Alert color="red" title="Error" role="alert">
                {open.lastError}
              </Alert>
            ) : null}
            {open.remoteUrl ? (
              <a href={open.remoteUrl} target="_blank" rel="noreferrer">
                View the published post
              </a>
            ) : null}
            {canEdit && open.editable ? (
              <MoveForm
                key={open.id}
                local={open.local.replace(' ', 'T').slice(0, 16)}
                timeZone={filters.tz}
                onMove={(to) => {
                  setOpenId(null)
                  mover.submit({ csrf, intent: 'move', deliveryId: open.id, seriesId: open.seriesId, to }, { method: 'post' })
                }}
              />
            ) : null}
            {canEdit && open.editable ? (
              <Group>
                <Form method="post" onSubmit={() => setOpenId(null)}>
                  <CsrfInput />
                  <input type="hidden" name="intent" value="skip-post" />
                  <input type="hidden" name="deliveryId" value={open.id} />
                  <input type="hidden" name="seriesId" value={open.seriesId} />
                  <Button type="submit" color="red" variant="light">
                    Skip this post
                  </Button>
                </Form>
                <Form method="post" onSubmit={() => setOpenId(null)}>
                  <CsrfInput />
                  <input type="hidden" name="intent" value="skip-date" />
                  <input type="hidden" name="deliveryId" value={open.id} />
                  <input type="hidden" name="seriesId" value={open.seriesId} />
                  <Button type="submit" variant="default">
                    Skip this date (later posts move up)
                  </Button>
                </Form>
              </Group>
            ) : null}
            <Button component={Link} to={`/app/series/${open.seriesId}`} variant="subtle">
              Edit the series
            </Button>
          </Stack>
        ) : null}
      </Modal>
    </Stack>
  )
}

/** The keyboard way to move a post (dragging needs a pointer): a date and time in the calendar's zone. */
function MoveForm({ local, timeZone, onMove }: { local: string; timeZone: string; onMove(toIso: string): void }) {
  const [value, setValue] = useState(local)
  const [error, setError] = useState<string | null>(null)
  return (
    <form
      aria-label="Move this post"
      onSubmit={(event) => {
        event.preventDefault()
        try {
          onMove(Temporal.PlainDateTime.from(value).toZonedDateTime(timeZone).toInstant().toString())
        } catch {
          setError('Enter a date and time, like 2026-03-19 09:30')
        }
      }}
    >
      <Group align="end">
        <TextInput type="datetime-local" label={`Move to (${timeZone})`} value={value} onChange={(e) => setValue(e.currentTarget.value)} error={error} required />
        <Button type="submit">Move</Button>
      </Group>
    </form>
  )
}

/** The ICS subscription: a secret URL for any calendar app, regenerated or revoked here. */
function CalendarFeed({ url, canEdit }: { url: string | null; canEdit: boolean }) {
  return (
    <Paper withBorder p="md" component="section" aria-labelledby="ics-heading">
      <Stack gap="xs">
        <Title order={2} size="h4" id="ics-heading">
          Subscribe in your calendar app
        </Title>
        {url ? (
          <>
            <Text size="sm">Add this secret URL as a subscribed calendar (Google Calendar: “From URL”; Apple Calendar: “New Calendar Subscription”). Anyone with it can see the schedule.</Text>
            <Group align="end" wrap="nowrap">
              <TextInput label="ICS feed URL" value={url} readOnly style={{ flex: 1 }} onFocus={(e) => e.currentTarget.select()} />
              <CopyButton value={url}>{({ copied, copy }) => <Button onClick={copy} variant="default">{copied ? 'Copied' : 'Copy'}</Button>}</CopyButton>
            </Group>
          </>
        ) : (
          <Text size="sm">No feed yet. {canEdit ? 'Create one to see every scheduled post in Google, Apple or Outlook calendars.' : 'Ask an editor or owner to create one.'}</Text>
        )}
        {canEdit ? (
          <Group>
            <Form method="post" action="/app/calendar/feed">
              <CsrfInput />
              <input type="hidden" name="intent" value="regenerate" />
              <Button type="submit" variant={url ? 'default' : 'filled'}>
                {url ? 'Regenerate URL (the old one stops working)' : 'Create feed URL'}
              </Button>
            </Form>
            {url ? (
              <Form method="post" action="/app/calendar/feed">
                <CsrfInput />
                <input type="hidden" name="intent" value="revoke" />
                <Button type="submit" color="red" variant="light">
                  Revoke feed
                </Button>
              </Form>
            ) : null}
          </Group>
        ) : null}
      </Stack>
    </Paper>
  )
}

export function ErrorBoundary() {
  return <GeneralErrorBoundary />
}
