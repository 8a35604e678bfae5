import { Anchor, Button, Group, List, NativeSelect, SimpleGrid, Stack, Text, TextInput, Title, VisuallyHidden } from '@mantine/core'
import { data, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node'
import { Form, Link, useActionData, useLoaderData, useNavigation } from '@remix-run/react'
import { useEffect, useMemo, useState } from 'react'
import { CsrfInput } from '~/components/csrf-input'
import { GeneralErrorBoundary } from '~/components/error-boundary'
import { LocalTime } from '~/components/time'
import { useToast } from '~/components/toasts'
import { notFound, requireMembership, roleAtLeast } from '~/utils/auth.server'
import { readForm } from '~/utils/forms.server'
import { accountName } from '~/utils/format'
import { WEEKDAYS, type Weekday } from '#domain/timing/input'
import { findAccountView, getBestTimes, getPostingSchedule, nextSlotsOf, PostingScheduleFormSchema, savePostingSchedule, TIMEZONES, type Services } from '../core.server'

export const meta: MetaFunction = () => [{ title: 'Posting times · Trickle' }]

const DAY_NAMES: Record<Weekday, string> = { MO: 'Monday', TU: 'Tuesday', WE: 'Wednesday', TH: 'Thursday', FR: 'Friday', SA: 'Saturday', SU: 'Sunday' }

async function accountOf(services: Services, args: { workspaceId: string; accountId: string | undefined }) {
  const account = args.accountId && /^[0-9a-f-]{36}$/.test(args.accountId) ? await findAccountView(services, { workspaceId: args.workspaceId, accountId: args.accountId }) : null
  if (!account) throw notFound('No such account in this workspace')
  return account
}

export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const { services } = context
  const { workspace, membership } = await requireMembership(request, services)
  const account = await accountOf(services, { workspaceId: workspace.id, accountId: params.accountId })
  const [schedule, bestTimes] = await Promise.all([
    getPostingSchedule(services, { workspaceId: workspace.id, accountId: account.id }),
    getBestTimes(services, { workspaceId: workspace.id, accountId: account.id }),
  ])
  return {
    account,
    schedule,
    bestTimes,
    next: nextSlotsOf(services, schedule, 5).map((d) => d.toISOString()),
    timezones: ['UTC', ...TIMEZONES.filter((z) => z !== 'UTC')],
    canEdit: roleAtLeast(membership.role, 'editor'),
  }
}

export async function action({ request, params, context }: ActionFunctionArgs) {
  const { services } = context
  const { workspace } = await requireMembership(request, services, { role: 'editor' })
  const account = await accountOf(services, { workspaceId: workspace.id, accountId: params.accountId })
  const form = await readForm(request, services, PostingScheduleFormSchema)
  if (!form.ok) return data({ fieldErrors: form.fieldErrors, saved: false }, { status: 400 })
  await savePostingSchedule(services, { workspaceId: workspace.id, accountId: account.id, input: form.data })
  return { fieldErrors: {} as Record<string, string>, saved: true }
}

/**
 * An account's queue (decision 091): the local times of each weekday, in one zone. "Add to queue" in
 * the series editor takes the next of these slots that no scheduled post of the account uses.
 */
export default function AccountQueue() {
  const { account, schedule, bestTimes, next, timezones, canEdit } = useLoaderData<typeof loader>()
  const result = useActionData<typeof action>()
  const errors: Record<string, string | undefined> = result?.fieldErrors ?? {}
  const busy = useNavigation().state === 'submitting'
  const storedTimes = () => Object.fromEntries(WEEKDAYS.map((d) => [d, schedule.timesByDay[d].join(', ')])) as Record<Weekday, string>
  const [times, setTimes] = useState(storedTimes)
  // A slot added from a suggestion changes the stored schedule: the form shows it.
  const scheduleKey = `${schedule.timezone} ${schedule.slots.map((s) => `${s.day}${s.time}`).join(',')}`
  useEffect(() => setTimes(storedTimes()), [scheduleKey])
  useToast(useMemo(() => (result?.saved ? { kind: 'success' as const, title: 'Posting times saved', message: 'Add to queue uses them from now on.' } : null), [result]))
  const weekdaysAt = (value: string) => setTimes(Object.fromEntries(WEEKDAYS.map((d) => [d, d === 'SA' || d === 'SU' ? '' : value])) as Record<Weekday, string>)
  return (
    <Stack maw={720}>
      <Anchor component={Link} to="/app/accounts" size="sm">
        ← Accounts
      </Anchor>
      <Title order={1}>Posting times of {accountName(account)}</Title>
      <Text c="dimmed">
        The {account.network} account’s queue: the times posts go out on each weekday. “Add to queue” in the series editor picks the next of these times that no
        scheduled post of this account uses.
      </Text>
      {canEdit ? null : <Text>Only editors and owners can change the posting times.</Text>}
      <Form method="post" noValidate aria-label="Posting times">
        <CsrfInput />
        <fieldset disabled={!canEdit} style={{ border: 0, padding: 0, margin: 0 }}>
          <Stack>
            <NativeSelect label="Time zone" name="timezone" defaultValue={schedule.timezone} data={timezones} error={errors.timezone} />
            {canEdit ? (
              <Group gap="xs">
                <Text size="sm">Quick fill:</Text>
                <Button size="xs" variant="default" onClick={() => weekdaysAt('09:00, 13:00')}>
                  Weekdays at 09:00 and 13:00
                </Button>
                <Button size="xs" variant="default" onClick={() => weekdaysAt('')}>
                  Clear all
                </Button>
              </Group>
            ) : null}
            <SimpleGrid cols={{ base: 1, sm: 2 }}>
              {WEEKDAYS.map((day) => (
                <TextInput
                  key={day}
                  label={DAY_NAMES[day]}
                  name={`times-${day}`}
                  placeholder="e.g. 09:00, 13:00"
                  value={times[day]}
                  onChange={(e) => setTimes({ ...times, [day]: e.currentTarget.value })}
                  error={errors[`times-${day}`]}
                  spellCheck={false}
                />
              ))}
            </SimpleGrid>
            {errors.slots ? <Text c="red" size="sm" role="alert">{errors.slots}</Text> : null}
            <Text size="sm" c="dimmed">
              24-hour local times separated by commas. A day left empty has no slots; with no times at all the account has no queue.
            </Text>
            {canEdit ? (
              <Button type="submit" loading={busy} w="fit-content">
                Save posting times
              </Button>
            ) : null}
          </Stack>
        </fieldset>
      </Form>
      <BestTimesSection bestTimes={bestTimes} schedule={schedule} canEdit={canEdit} busy={busy} />
      <Title order={2} size="h3">
        Next slots
      </Title>
      {next.length === 0 ? (
        <Text>No posting times yet.</Text>
      ) : (
        <List aria-label="Next slots">
          {next.map((at) => (
            <List.Item key={at}>
              <LocalTime at={at} zone={schedule.timezone} />
            </List.Item>
          ))}
        </List>
      )}
    </Stack>
  )
}

type LoaderData = ReturnType<typeof useLoaderData<typeof loader>>

/**
 * Best-time suggestions (decision 101) from the account's own posts' engagement at 24 h; each one adds
 * its slot to the posting times through this page's action (the stored times plus the suggested one).
 */
function BestTimesSection({ bestTimes, schedule, canEdit, busy }: { bestTimes: LoaderData['bestTimes']; schedule: LoaderData['schedule']; canEdit: boolean; busy: boolean }) {
  return (
    <section aria-labelledby="best-times-title">
      <Title order={2} size="h3" id="best-times-title">
        Suggested times
      </Title>
      {bestTimes.status === 'not-enough-data' ? (
        <Text>{bestTimes.message}</Text>
      ) : (
        <Stack gap="xs">
          <Text size="sm" c="dimmed">
            From this account’s {bestTimes.posts} posts of the last year: the weekdays and hours (in {bestTimes.timezone}) whose posts drew the most engagement after 24 hours
            (likes, reposts, replies, quotes, bookmarks and link clicks; the median per post, weighed toward the account’s median of {bestTimes.accountMedian.toLocaleString('en-US')} when a time has few posts).
          </Text>
          <List aria-label="Suggested times">
            {bestTimes.suggestions.map((s) => {
              const label = `${DAY_NAMES[s.day].slice(0, 3)} ${s.time}`
              const taken = schedule.timesByDay[s.day].includes(s.time)
              return (
                <List.Item key={`${s.day}${s.time}`}>
                  <Group gap="sm">
                    <Text>{`${label} — ${s.posts} posts, median ${s.median.toLocaleString('en-US')} engagements`}</Text>
                    {taken ? (
                      <Text size="sm" c="dimmed">
                        Already a posting time
                      </Text>
                    ) : canEdit ? (
                      <Form method="post" aria-label={`Add ${label} as a posting time`}>
                        <CsrfInput />
                        <input type="hidden" name="timezone" value={schedule.timezone} />
                        {WEEKDAYS.map((day) => (
                          <input key={day} type="hidden" name={`times-${day}`} value={schedule.timesByDay[day].concat(day === s.day ? [s.time] : []).join(', ')} />
                        ))}
                        <Button type="submit" size="xs" variant="light" disabled={busy}>
                          Add as a posting time<VisuallyHidden>: {label}</VisuallyHidden>
                        </Button>
                      </Form>
                    ) : null}
                  </Group>
                </List.Item>
              )
            })}
          </List>
        </Stack>
      )}
    </section>
  )
}

export function ErrorBoundary() {
  return <GeneralErrorBoundary />
}
