/**
 * Queue slots (docs/decisions/091-queue-slots.md): an account's posting schedule (weekday + local time
 * slots in one zone), read and replaced from the account's page and the API, and "Add to queue": the
 * next slot of the chosen accounts that none of their scheduled deliveries uses. The slot arithmetic is
 * domain/queue/slots.ts; this layer reads the schedules and the taken instants, scoped to the workspace.
 */
import { z } from 'zod'
import { getAccount, listPostingSchedules, setPostingSchedule } from '../db/queries/accounts'
import { listMeasuredPosts } from '../db/queries/best-times'
import { listPendingDueTimes } from '../db/queries/deliveries'
import { getWorkspace } from '../db/queries/workspaces'
import { suggestBestTimes, type BestTimes } from '../domain/queue/best-times'
import { nextFreeSlot, normalizeSlots, PostingScheduleSchema, TIME_RE, timesByDay, upcomingSlots, type PostingSchedule } from '../domain/queue/slots'
import { WEEKDAYS, type Weekday } from '../domain/timing/input'
import { formatLocal, instantToWall } from '../domain/timing/zone'
import { InputError } from './errors'
import { parseInput } from './parse-input'
import type { Services } from './services.server'

/** A schedule as pages and the API show it: the slots in week order and the times of each weekday. */
export type PostingScheduleView = PostingSchedule & { timesByDay: Record<Weekday, string[]> }

/** The schedule's next slots from now (the account page shows where posts would land). */
export function nextSlotsOf(services: Services, schedule: PostingSchedule, count: number): Date[] {
  return upcomingSlots({ schedule, after: services.clock.now(), days: 15 }).slice(0, count)
}

function notFound() {
  return new InputError('accountId', 'No such account in this workspace', { status: 404 })
}

function accountIdOf(accountId: string | undefined): string {
  const id = z.uuid().safeParse(accountId)
  if (!id.success) throw notFound()
  return id.data
}

const toView = (schedule: PostingSchedule): PostingScheduleView => ({ timezone: schedule.timezone, slots: normalizeSlots(schedule.slots), timesByDay: timesByDay(schedule.slots) })

/** An account's schedule; an account without one shows an empty schedule in the workspace's zone. 404 for another workspace's account. */
export async function getPostingSchedule(services: Services, args: { workspaceId: string; accountId: string | undefined }): Promise<PostingScheduleView> {
  const accountId = accountIdOf(args.accountId)
  const db = services.database.db
  if (!(await getAccount(db, { workspaceId: args.workspaceId, accountId }))) throw notFound()
  const [stored] = await listPostingSchedules(db, { workspaceId: args.workspaceId, accountIds: [accountId] })
  if (stored) return toView(stored.schedule)
  const workspace = await getWorkspace(db, { workspaceId: args.workspaceId })
  return toView({ timezone: workspace?.timezone ?? 'UTC', slots: [] })
}

/** Replace an account's schedule (`{ timezone, slots: [{ day, time }] }`; no slots: no queue). Bad input: a 400 naming the field. */
export async function savePostingSchedule(services: Services, args: { workspaceId: string; accountId: string | undefined; input: unknown }): Promise<PostingScheduleView> {
  const accountId = accountIdOf(args.accountId)
  const parsed = parseInput(PostingScheduleSchema, args.input)
  const schedule = { timezone: parsed.timezone, slots: normalizeSlots(parsed.slots) }
  const saved = await setPostingSchedule(services.database.db, { workspaceId: args.workspaceId, accountId, schedule: schedule.slots.length ? schedule : null, clock: services.clock })
  if (!saved) throw notFound()
  return toView(schedule)
}

/** "09:00, 13:00" (or "9:00 13:00") → ["09:00", "13:00"]. */
const splitTimes = (value: string | undefined) =>
  (value ?? '')
    .split(/[\s,;]+/)
    .filter(Boolean)
    .map((time) => (/^\d:\d\d$/.test(time) ? `0${time}` : time))

const TimesFieldSchema = z
  .string()
  .optional()
  .transform(splitTimes)
  .refine((times) => times.every((t) => TIME_RE.test(t)), { error: 'Use 24-hour times like 09:00, 13:00, separated by commas' })

/** The account page's form: `timezone` and `times-MO` … `times-SU`, each a list like "09:00, 13:00"; errors name those fields. */
export const PostingScheduleFormSchema = z
  .object({ timezone: PostingScheduleSchema.shape.timezone, ...(Object.fromEntries(WEEKDAYS.map((day) => [`times-${day}`, TimesFieldSchema])) as Record<`times-${Weekday}`, typeof TimesFieldSchema>) })
  .transform((form) => ({ timezone: form.timezone, slots: WEEKDAYS.flatMap((day) => form[`times-${day}`].map((time) => ({ day, time }))) }))
  .pipe(PostingScheduleSchema)

export const NextSlotInputSchema = z.object({
  accountIds: z.array(z.uuid({ error: 'accountIds: not an account id' }), { error: 'accountIds: a list of account ids' }).min(1, { error: 'accountIds: choose at least one account' }),
  timezone: PostingScheduleSchema.shape.timezone.optional(),
  seriesId: z.uuid({ error: 'seriesId: not a series id' }).optional(),
})

export type NextSlot = {
  /** The slot's instant (ISO 8601 UTC). */
  at: string
  /** Its local date-time YYYY-MM-DDTHH:mm in `timezone` (a series' Start). */
  local: string
  timezone: string
}

/**
 * The next free queue slot of these accounts: the earliest slot of any of their schedules that no
 * pending delivery to any of them is due at (a series being edited does not take its own slots).
 * 409 naming `accountIds` when none of them has a schedule or every slot within a year is taken.
 */
export async function findNextQueueSlot(services: Services, args: { workspaceId: string; input: unknown }): Promise<NextSlot> {
  const input = parseInput(NextSlotInputSchema, args.input)
  const db = services.database.db
  const accountIds = [...new Set(input.accountIds)]
  const schedules = await listPostingSchedules(db, { workspaceId: args.workspaceId, accountIds })
  if (schedules.length === 0) throw new InputError('accountIds', 'accountIds: none of these accounts has a queue yet (set its posting times on the account’s page)', { status: 409 })
  const now = services.clock.now()
  const taken = await listPendingDueTimes(db, { workspaceId: args.workspaceId, accountIds, after: now, exceptSequenceId: input.seriesId })
  const at = nextFreeSlot({ schedules: schedules.map((s) => s.schedule), taken, after: now })
  if (!at) throw new InputError('accountIds', 'accountIds: every queue slot of these accounts is taken for the next year', { status: 409 })
  const timezone = input.timezone ?? schedules[0]!.schedule.timezone
  return { at: at.toISOString(), local: formatLocal(instantToWall(timezone, at.getTime())), timezone }
}

/** How far back best-time suggestions look: a year of the account's posts. */
export const BEST_TIMES_LOOKBACK_DAYS = 365

/**
 * Best-time suggestions of an account (decision 101): its weekday × hour slots, in its queue's zone (the
 * workspace's without a queue), ranked by median engagement per post at the 24 h reading over the last
 * year, shrunk toward the account's median; with too little data, how many more posts are needed. 404
 * for another workspace's account.
 */
export async function getBestTimes(services: Services, args: { workspaceId: string; accountId: string | undefined }): Promise<BestTimes> {
  const schedule = await getPostingSchedule(services, args)
  const since = new Date(services.clock.now().getTime() - BEST_TIMES_LOOKBACK_DAYS * 86_400_000)
  const posts = await listMeasuredPosts(services.database.db, { workspaceId: args.workspaceId, accountId: accountIdOf(args.accountId), since })
  return suggestBestTimes({ posts, timezone: schedule.timezone })
}
