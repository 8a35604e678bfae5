/**
 * Series: create, edit and re-plan (docs/decisions/011-series-and-calendar.md). The one server module
 * behind the editor (new and edit), the calendar's move/skip, pause/resume and the API.
 *
 * Every change follows one path: record the user's intent (posts, targets, timing edits) → planSeries
 * → diff against the existing deliveries (published and other settled ones keep their times, changed
 * pending ones move, removed ones are canceled, new ones are planned), all in one transaction → after
 * commit, jobs are scheduled or removed through the pipeline's DeliveryScheduler.
 */
import { z } from 'zod'
import { getConnector, isConnectorKind } from '../connectors/registry'
import type { ChannelContent, ContentProblem } from '../connectors/types'
import type { Tx } from '../db/client'
import { listAccounts, type AccountSummary } from '../db/queries/accounts'
import { enqueuePlanned, listDeliveries, markQueued, pauseSequence, resumeSequence, skipDelivery, type DeliveryScheduler } from '../db/queries/deliveries'
import { createSequence, getSequence, listSteps, type Sequence } from '../db/queries/sequences'
import {
  bumpPendingOfStep,
  getSeriesTiming,
  holdSequenceInTx,
  listSeries,
  insertSeriesDeliveries,
  insertSeriesTiming,
  listCalendarDeliveries,
  listSeriesTargets,
  reschedulePending,
  setSeriesTargets,
  settlePendingDelivery,
  updateSeriesTiming,
  type SeriesTimingRow,
  type SeriesTimingValues,
} from '../db/queries/series'
import { sequenceSteps, sequences, type ApprovalState, type Role, type StepContent, type StoredOverride, type StoredTiming } from '../db/schema/index'
import { PENDING_STATES } from '../domain/delivery'
import { describeRule, planSeries, SeriesTimingSchema, type PlannedStep } from '../domain/recurrence/index'
import { formatLocal, instantToWall } from '../domain/timing/zone'
import { and, eq } from 'drizzle-orm'
import { deliveryScheduler } from '../jobs/enqueue'
import { readImages } from './media.server'
import type { Services } from './services.server'

export const MAX_POSTS = 1000
/** Two posts on one account closer than this get a warning. */
export const MIN_GAP_MINUTES = 30
const POST_SEPARATOR = /^\s*---\s*$/m
export const MAX_THREAD_PARTS = 25
export const MAX_IMAGES_PER_PART = 4

const ImageRefSchema = z
  .object({
    mediaId: z.uuid({ error: 'mediaId: not an image id (upload the image first)' }),
    alt: z
      .string({ error: 'alt: describe the image' })
      .trim()
      .min(1, { error: 'alt: describe the image for people who cannot see it (alt text is required)' })
      .max(1000, { error: 'alt: at most 1000 characters' }),
  })
  .strict()

const PartSchema = z
  .object({
    text: z.string({ error: 'text: must be text' }).trim(),
    images: z.array(ImageRefSchema).max(MAX_IMAGES_PER_PART, { error: `images: at most ${MAX_IMAGES_PER_PART} images per post` }).default([]),
  })
  .strict()

/**
 * One post: plain text, or `{ parts }` for a thread (each part its own post on the network, replying to
 * the one before) with images per part and their alt text.
 */
export const PostSchema = z.preprocess(
  (value) => (typeof value === 'string' ? { parts: [{ text: value }] } : value),
  z
    .object({ parts: z.array(PartSchema, { error: 'parts: a list of { text, images }' }).min(1, { error: 'parts: at least one part' }).max(MAX_THREAD_PARTS, { error: `parts: at most ${MAX_THREAD_PARTS} parts in a thread` }) }, { error: 'posts: each post is a text or { parts }' })
    .strict()
    .superRefine((post, ctx) => {
      post.parts.forEach((part, j) => {
        if (part.text || part.images.length) return
        ctx.addIssue({ code: 'custom', path: post.parts.length === 1 ? [] : ['parts', j, 'text'], message: post.parts.length === 1 ? 'posts: a post cannot be empty' : 'text: a part of a thread needs text or an image' })
      })
    })
    .describe('A post: { parts } (a thread; images need alt text). A plain string is accepted as a one-part post without images.'),
)
export type PostInput = { parts: Array<{ text: string; images: Array<{ mediaId: string; alt: string }> }> }

/** What a step stores for a post (no empty image lists). */
export function toStepContent(post: PostInput): StepContent {
  return { parts: post.parts.map((p) => (p.images.length ? { text: p.text, images: p.images.map((i) => ({ mediaId: i.mediaId, alt: i.alt })) } : { text: p.text })) }
}
export function fromStepContent(content: StepContent): PostInput {
  return { parts: content.parts.map((p) => ({ text: p.text, images: (p.images ?? []).map((i) => ({ mediaId: i.mediaId, alt: i.alt })) })) }
}
const sameContent = (a: StepContent, b: StepContent) => JSON.stringify(fromStepContent(a)) === JSON.stringify(fromStepContent(b))

/** The fields of a series as the editor and the API send them. */
export const SeriesInputSchema = z
  .object({
    name: z.string({ error: 'name: required' }).trim().min(1, { error: 'name: give the series a name' }).max(200, { error: 'name: at most 200 characters' }),
    posts: z
      .array(PostSchema, { error: 'posts: a list of posts (texts, or { parts } for threads and images)' })
      .min(1, { error: 'posts: write at least one post' })
      .max(MAX_POSTS, { error: `posts: at most ${MAX_POSTS} posts` }),
    accountIds: z.array(z.uuid({ error: 'accountIds: not an account id' }), { error: 'accountIds: a list of account ids' }).min(1, { error: 'accountIds: choose at least one account' }),
    rule: z.string({ error: 'rule: an RRULE like FREQ=WEEKLY;BYDAY=TU,TH;BYHOUR=9;BYMINUTE=0' }),
    start: z.string({ error: 'start: a local date-time like 2026-03-17T09:00' }),
    timezone: z.string({ error: 'timezone: an IANA time zone like Europe/Berlin' }),
  })
  .strict()
  .superRefine((value, ctx) => {
    const timing = SeriesTimingSchema.safeParse(planningTiming({ rule: value.rule, start: value.start, timezone: value.timezone, exdates: [], rdates: [] }, value.posts.length))
    if (timing.success) return
    for (const issue of timing.error.issues) ctx.addIssue({ code: 'custom', path: issue.path.length ? issue.path : ['rule'], message: issue.message })
  })
export type SeriesInput = Omit<z.infer<typeof SeriesInputSchema>, 'posts'> & { posts: PostInput[] }

/**
 * The posts of the editor's form: `post-N` is post N's text (its first part), `post-N-part-M` part M of
 * its thread, `post-N-part-M-image-K` and `post-N-part-M-alt-K` the K-th image of that part and its alt
 * text. With `forSaving`, empty parts and posts are dropped and a single-part post holding lines `---`
 * is split into several posts.
 */
export function postsFromForm(form: Record<string, unknown>, options: { forSaving: boolean }): PostInput[] {
  const posts = new Map<number, Map<number, { text: string; images: Map<number, { mediaId: string; alt: string }> }>>()
  const partOf = (n: number, m: number) => {
    const parts = posts.get(n) ?? new Map()
    posts.set(n, parts)
    const part = parts.get(m) ?? { text: '', images: new Map() }
    parts.set(m, part)
    return part
  }
  for (const [key, value] of Object.entries(form)) {
    if (typeof value !== 'string') continue
    const match = /^post-(\d+)(?:-part-(\d+)(?:-(image|alt)-(\d+))?)?$/.exec(key)
    if (!match) continue
    const part = partOf(Number(match[1]), Number(match[2] ?? 1))
    if (!match[3]) part.text = value
    else {
      const image = part.images.get(Number(match[4])) ?? { mediaId: '', alt: '' }
      image[match[3] === 'image' ? 'mediaId' : 'alt'] = value
      part.images.set(Number(match[4]), image)
    }
  }
  const sorted = <T>(map: Map<number, T>) => [...map.entries()].sort(([a], [b]) => a - b).map(([, v]) => v)
  const all = sorted(posts).map((parts) => ({ parts: sorted(parts).map((p) => ({ text: p.text, images: sorted(p.images) })) }))
  if (!options.forSaving) return all
  return all.flatMap((post) => {
    const parts = post.parts.filter((p) => p.text.trim() || p.images.length)
    if (parts.length === 0) return []
    if (parts.length === 1 && parts[0]!.images.length === 0) return splitPosts(parts[0]!.text).map((text) => ({ parts: [{ text, images: [] }] }))
    return [{ parts }]
  })
}

/** The editor's form: posts (see postsFromForm), target accounts as checkboxes `account-<id>`. */
export const SeriesFormSchema = z.preprocess((raw) => {
  const form = raw as Record<string, string>
  const posts = postsFromForm(form, { forSaving: true })
  const accountIds = Object.keys(form)
    .filter((key) => key.startsWith('account-'))
    .map((key) => key.slice('account-'.length))
  return { name: form.name, posts, accountIds, rule: form.rule, start: form.start, timezone: form.timezone }
}, SeriesInputSchema)

/** Paste many posts at once: a line holding only `---` separates them. */
export function splitPosts(text: string): string[] {
  return text
    .split(POST_SEPARATOR)
    .map((post) => post.trim())
    .filter((post) => post.length > 0)
}

/** A bad request a route turns into a 400 naming the field. */
export class SeriesInputError extends Error {
  override name = 'SeriesInputError'
  constructor(
    readonly field: string,
    message: string,
    readonly status = 400,
  ) {
    super(message)
  }
}

const hasEnd = (rule: string) => /(^|;)\s*(COUNT|UNTIL)\s*=/i.test(rule)

/**
 * The timing planSeries expands. A rule without COUNT or UNTIL ends with the series' last post: it is
 * bounded generously here (skipped dates and shifted pauses use up extra occurrences; expansion is lazy,
 * so the bound costs nothing).
 */
function planningTiming(timing: StoredTiming, stepCount: number): StoredTiming {
  return hasEnd(timing.rule) ? timing : { ...timing, rule: `${timing.rule.replace(/;\s*$/, '')};COUNT=${stepCount + 100_000}` }
}

/** The plain-language text: an open-ended rule reads as "…, N times" (one per post). */
export function describeSeriesRule(timing: Pick<StoredTiming, 'rule' | 'start'>, stepCount: number): string {
  const rule = hasEnd(timing.rule) ? timing.rule : `${timing.rule.replace(/;\s*$/, '')};COUNT=${stepCount}`
  return describeRule({ rule, start: timing.start })
}

export function currentTiming(row: SeriesTimingRow): StoredTiming {
  return row.revisions.at(-1)?.timing ?? { rule: row.rule, start: row.start, timezone: row.timezone, exdates: row.exdates, rdates: row.rdates }
}

/** Steps 1..stepCount on the stored timing and edits (pauses count once resumed; a pause still open holds nothing back). */
export function planStoredSeries(row: SeriesTimingRow, stepCount: number): PlannedStep[] {
  if (stepCount === 0) return []
  const base: StoredTiming = { rule: row.rule, start: row.start, timezone: row.timezone, exdates: row.exdates, rdates: row.rdates }
  return planSeries({
    timing: planningTiming(base, stepCount),
    stepCount,
    overrides: row.overrides,
    pauses: row.pauses.flatMap((p) => (p.until && p.policy ? [{ from: new Date(p.from), until: new Date(p.until), policy: p.policy }] : [])),
    revisions: row.revisions.map((r) => ({ from: new Date(r.from), timing: planningTiming(r.timing, stepCount), overrides: r.overrides })),
    limit: Math.min(10_000, stepCount),
  }).filter((p) => p.cycle === 1)
}

// ─── Re-planning ──────────────────────────────────────────────────────────────────────────────────

type JobEffects = { schedule: Array<{ deliveryId: string; runAt: Date }>; cancel: string[] }

/** Diff the plan against the series' deliveries and write the difference (inside the caller's transaction). */
async function replanInTx(tx: Tx, args: { workspaceId: string; sequenceId: string; now: Date }): Promise<JobEffects> {
  const { workspaceId, sequenceId, now } = args
  const row = await getSeriesTiming(tx, { workspaceId, sequenceId, forUpdate: true })
  if (!row) throw new SeriesInputError('seriesId', 'No such series in this workspace', 404)
  const steps = await listSteps(tx, { workspaceId, sequenceId })
  const targets = new Set(await listSeriesTargets(tx, { workspaceId, sequenceId }))
  const plan = new Map(planStoredSeries(row, steps.length).map((p) => [p.step, p]))
  const stepNumber = new Map(steps.map((s, i) => [s.id, i + 1]))
  const existing = await listDeliveries(tx, { workspaceId, sequenceId })
  const effects: JobEffects = { schedule: [], cancel: [] }
  const seen = new Set<string>()
  for (const delivery of existing) {
    seen.add(`${delivery.stepId}/${delivery.accountId}`)
    if (!(PENDING_STATES as readonly string[]).includes(delivery.state)) continue // settled: keeps its time
    const planned = plan.get(stepNumber.get(delivery.stepId) ?? 0)
    const ref = { workspaceId, deliveryId: delivery.id, now }
    if (!planned || !delivery.accountId || !targets.has(delivery.accountId)) {
      if (await settlePendingDelivery(tx, { ...ref, state: 'canceled' })) effects.cancel.push(delivery.id)
    } else if (planned.status === 'skipped') {
      if (await settlePendingDelivery(tx, { ...ref, state: 'skipped' })) effects.cancel.push(delivery.id)
    } else if (planned.at.getTime() !== delivery.dueAt.getTime()) {
      if (await reschedulePending(tx, { ...ref, dueAt: planned.at })) effects.schedule.push({ deliveryId: delivery.id, runAt: planned.at })
    }
  }
  const items = steps.flatMap((step, i) => {
    const planned = plan.get(i + 1)
    if (!planned) return []
    return [...targets]
      .filter((accountId) => !seen.has(`${step.id}/${accountId}`))
      .map((accountId) => ({ stepId: step.id, accountId, dueAt: planned.at, state: planned.status }))
  })
  const inserted = await insertSeriesDeliveries(tx, { workspaceId, sequenceId, items, now })
  for (const d of inserted) if (d.state === 'planned') effects.schedule.push({ deliveryId: d.id, runAt: d.dueAt })
  return effects
}

export function schedulerOf(services: Services): DeliveryScheduler {
  return deliveryScheduler(services.jobs.agenda)
}

/** After commit: move or remove jobs (best effort: the reconciler enqueues a `planned` row whose job is missing). */
async function applyJobEffects(services: Services, args: { workspaceId: string; sequence: Sequence; effects: JobEffects }): Promise<void> {
  const scheduler = schedulerOf(services)
  for (const deliveryId of args.effects.cancel) await scheduler.cancel({ deliveryId }).catch(() => undefined)
  if (args.sequence.status !== 'active') return // resuming schedules them
  // A failed enqueue stays `planned`; the reconciler enqueues it.
  await enqueuePlanned(services.database.db, { workspaceId: args.workspaceId, items: args.effects.schedule, scheduler, clock: services.clock })
}

/**
 * Change the stored timing/edits and re-plan, in one transaction; jobs follow after commit. `change` may
 * return delivery ids whose jobs must be removed (a series it put on hold).
 */
async function changeSeries(
  services: Services,
  args: { workspaceId: string; sequenceId: string; change: (tx: Tx, row: SeriesTimingRow, now: Date) => Promise<string[] | void> },
): Promise<void> {
  const { workspaceId, sequenceId } = args
  const now = services.clock.now()
  const { sequence, effects } = await services.database.db.transaction(async (tx) => {
    const before = await getSequence(tx, { workspaceId, sequenceId })
    const row = before?.kind === 'series' ? await getSeriesTiming(tx, { workspaceId, sequenceId, forUpdate: true }) : null
    if (!before || !row) throw new SeriesInputError('seriesId', 'No such series in this workspace', 404)
    const held = (await args.change(tx, row, now)) ?? []
    const effects = await replanInTx(tx, { workspaceId, sequenceId, now })
    effects.cancel.push(...held)
    // Re-read: the change may have put the series on hold (then nothing is scheduled).
    return { sequence: (await getSequence(tx, { workspaceId, sequenceId })) ?? before, effects }
  })
  await applyJobEffects(services, { workspaceId, sequence, effects })
}

// ─── Create and edit ──────────────────────────────────────────────────────────────────────────────

/** Accounts must be the workspace's; posts must pass each target network's validation (as publishing would). */
async function checkTargetsAndPosts(services: Services, args: { workspaceId: string; input: SeriesInput }): Promise<void> {
  const accounts = await listAccounts(services.database.db, { workspaceId: args.workspaceId })
  const targets = args.input.accountIds.map((id) => accounts.find((a) => a.id === id))
  const missing = targets.findIndex((a) => !a)
  if (missing >= 0) throw new SeriesInputError(`accountIds.${missing}`, `accountIds: no account ${args.input.accountIds[missing]} in this workspace`)
  const images = await imagesOf(services, { workspaceId: args.workspaceId, posts: args.input.posts })
  for (const [i, post] of args.input.posts.entries()) {
    post.parts.forEach((part, j) =>
      part.images.forEach((image, k) => {
        if (!images.has(image.mediaId)) {
          const field = `posts.${i}.parts.${j}.images.${k}.mediaId`
          throw new SeriesInputError(field, `${field}: no such image in this workspace (upload it again)`)
        }
      }),
    )
    for (const account of targets as AccountSummary[]) {
      const [problem] = validatePost(services, { account, content: channelContent(post, images) })
      if (!problem) continue
      const { field, where } = problemField(i, post, problem)
      throw new SeriesInputError(field, `${field}: ${where} on @${account.handle}: ${problem.message}`)
    }
  }
}

type ImageBytes = Map<string, { mimeType: string; data: Uint8Array }>

async function imagesOf(services: Services, args: { workspaceId: string; posts: PostInput[] }): Promise<ImageBytes> {
  const ids = args.posts.flatMap((p) => p.parts.flatMap((part) => part.images.map((i) => i.mediaId)))
  return ids.length ? readImages(services, { workspaceId: args.workspaceId, mediaIds: ids }) : new Map()
}

/** What the connectors validate and publish: the parts with their images' bytes and alt text. */
function channelContent(post: PostInput, images: ImageBytes): ChannelContent {
  return {
    parts: post.parts.map((part) => ({
      text: part.text,
      ...(part.images.length
        ? { media: part.images.flatMap((i) => { const found = images.get(i.mediaId); return found ? [{ mimeType: found.mimeType, data: found.data, altText: i.alt }] : [] }) }
        : {}),
    })),
  }
}

/** A connector's problem path (`parts[1].media[0].altText`) as the form field it is about. */
function problemField(i: number, post: PostInput, problem: ContentProblem): { field: string; where: string } {
  const match = /^parts\[(\d+)\](?:\.(text|media)(?:\[(\d+)\])?)?/.exec(problem.path)
  if (!match) return { field: `posts.${i}`, where: `post ${i + 1}` }
  const j = Number(match[1])
  const where = post.parts.length > 1 ? `post ${i + 1}, part ${j + 1} of the thread,` : `post ${i + 1}`
  if (match[2] === 'media') return { field: `posts.${i}.parts.${j}.images${match[3] !== undefined ? `.${match[3]}` : ''}`, where }
  return { field: `posts.${i}.parts.${j}.text`, where }
}

/** A post without images checked for one account (the import preview). */
export function validatePostFor(services: Services, args: { account: Pick<AccountSummary, 'kind' | 'maxPostLength'>; post: PostInput }): ContentProblem[] {
  return validatePost(services, { account: args.account, content: channelContent(args.post, new Map()) })
}

function validatePost(services: Services, args: { account: Pick<AccountSummary, 'kind' | 'maxPostLength'>; content: ChannelContent }): ContentProblem[] {
  if (!isConnectorKind(args.account.kind) || !services.connectors[args.account.kind]) return []
  return getConnector(services.connectors, args.account.kind).validate(args.content, { maxLength: args.account.maxPostLength ?? undefined })
}

/**
 * Who saves a series. Owners' series are approved at once; an editor's new series is a `draft` held
 * until an owner approves it, and an editor's edit of an approved series sends it back for approval
 * (docs/decisions/012-series-approval-threads-import.md). Without an actor (internal callers) nothing changes.
 */
export type SeriesActor = { userId: string; role: Role }
const needsApproval = (actor: SeriesActor | undefined): actor is SeriesActor => actor !== undefined && actor.role !== 'owner'

export async function createSeries(services: Services, args: { workspaceId: string; input: SeriesInput; actor?: SeriesActor }): Promise<{ seriesId: string }> {
  const { workspaceId, input, actor } = args
  await checkTargetsAndPosts(services, args)
  const now = services.clock.now()
  const { sequence, effects } = await services.database.db.transaction(async (tx) => {
    const { sequence } = await createSequence(tx, {
      workspaceId,
      kind: 'series',
      name: input.name,
      timezone: input.timezone,
      steps: input.posts.map(toStepContent),
      clock: services.clock,
    })
    await insertSeriesTiming(tx, {
      workspaceId,
      sequenceId: sequence.id,
      timing: { rule: input.rule, start: input.start, timezone: input.timezone, exdates: [], rdates: [] },
      accountIds: input.accountIds,
      now,
    })
    if (!needsApproval(actor)) return { sequence, effects: await replanInTx(tx, { workspaceId, sequenceId: sequence.id, now }) }
    await updateSeriesTiming(tx, {
      workspaceId,
      sequenceId: sequence.id,
      now,
      timing: { approval: 'draft', approvalBy: actor.userId, approvalAt: now, pauses: [{ from: now.toISOString(), reason: 'approval' }] },
    })
    await holdSequenceInTx(tx, { workspaceId, sequenceId: sequence.id, now })
    return { sequence: { ...sequence, status: 'paused' }, effects: await replanInTx(tx, { workspaceId, sequenceId: sequence.id, now }) }
  })
  await applyJobEffects(services, { workspaceId, sequence, effects })
  return { seriesId: sequence.id }
}

const sameTiming = (a: StoredTiming, b: StoredTiming) => a.rule === b.rule && a.start === b.start && a.timezone === b.timezone

/**
 * Save the editor over an existing series. A changed rule replaces the timing while nothing has gone
 * out yet; afterwards it becomes a revision from now on (what went out keeps its time). Posts are edited
 * in place, added at the end, and removed from the end only while none of their deliveries has settled.
 */
export async function updateSeries(services: Services, args: { workspaceId: string; seriesId: string; input: SeriesInput; actor?: SeriesActor }): Promise<void> {
  const { workspaceId, seriesId: sequenceId, input, actor } = args
  await checkTargetsAndPosts(services, args)
  await changeSeries(services, {
    workspaceId,
    sequenceId,
    change: async (tx, row, now) => {
      const steps = await listSteps(tx, { workspaceId, sequenceId })
      const deliveries = await listDeliveries(tx, { workspaceId, sequenceId })
      const settled = (stepId: string) => deliveries.some((d) => d.stepId === stepId && !['planned', 'queued', 'canceled'].includes(d.state))
      for (const [i, step] of steps.entries()) {
        const post = input.posts[i]
        if (post === undefined) {
          if (settled(step.id)) throw new SeriesInputError(`posts.${i}`, `posts.${i}: post ${i + 1} has already gone out (or was skipped) and cannot be removed`)
          await tx.delete(sequenceSteps).where(and(eq(sequenceSteps.workspaceId, workspaceId), eq(sequenceSteps.id, step.id)))
        } else if (!sameContent(toStepContent(post), step.content)) {
          await tx.update(sequenceSteps).set({ content: toStepContent(post), updatedAt: now }).where(eq(sequenceSteps.id, step.id))
          await bumpPendingOfStep(tx, { workspaceId, stepId: step.id, now })
        }
      }
      if (input.posts.length > steps.length) {
        await tx.insert(sequenceSteps).values(
          input.posts.slice(steps.length).map((post, j) => ({ workspaceId, sequenceId, position: steps.length + j, content: toStepContent(post), createdAt: now, updatedAt: now })),
        )
      }
      await setSeriesTargets(tx, { workspaceId, sequenceId, accountIds: input.accountIds })
      const next: StoredTiming = { rule: input.rule, start: input.start, timezone: input.timezone, exdates: [], rdates: [] }
      await tx.update(sequences).set({ name: input.name, timezone: input.timezone, updatedAt: now }).where(eq(sequences.id, sequenceId))
      const held = needsApproval(actor) && row.approval === 'approved' ? await holdForApproval(tx, { workspaceId, sequenceId, row, actor, now }) : []
      if (sameTiming(currentTiming(row), next)) return held
      const started = deliveries.some((d) => !['planned', 'queued', 'canceled', 'skipped'].includes(d.state)) || planStoredSeries(row, steps.length)[0]!.at <= now
      await updateSeriesTiming(tx, {
        workspaceId,
        sequenceId,
        now,
        timing: started
          ? { revisions: [...row.revisions, { from: now.toISOString(), timing: { ...next, exdates: currentTiming(row).exdates, rdates: currentTiming(row).rdates }, overrides: [] }] }
          : { ...next, overrides: [], revisions: [] },
      })
      return held
    },
  })
}

// ─── Approval (docs/decisions/012-series-approval-threads-import.md) ─────────────────────────────────────────────

/**
 * An editor changed an approved series: back to `pending_approval`, and its not-yet-published deliveries
 * are held (the sequence paused, an approval pause recorded) until an owner approves again. A series the
 * user had already paused stays paused under its own pause. Returns the ids whose jobs to remove.
 */
async function holdForApproval(tx: Tx, args: { workspaceId: string; sequenceId: string; row: SeriesTimingRow; actor: SeriesActor; now: Date }): Promise<string[]> {
  const { workspaceId, sequenceId, row, now } = args
  const open = row.pauses.at(-1) && !row.pauses.at(-1)!.until
  await updateSeriesTiming(tx, {
    workspaceId,
    sequenceId,
    now,
    timing: {
      approval: 'pending_approval',
      approvalBy: args.actor.userId,
      approvalAt: now,
      ...(open ? {} : { pauses: [...row.pauses, { from: now.toISOString(), reason: 'approval' as const }] }),
    },
  })
  return holdSequenceInTx(tx, { workspaceId, sequenceId, now })
}

async function lockSeries(tx: Tx, args: { workspaceId: string; seriesId: string }): Promise<SeriesTimingRow> {
  const row = await getSeriesTiming(tx, { workspaceId: args.workspaceId, sequenceId: args.seriesId, forUpdate: true })
  if (!row) throw new SeriesInputError('seriesId', 'No such series in this workspace', 404)
  return row
}

const APPROVAL_WORDS: Record<ApprovalState, string> = {
  draft: 'a draft',
  pending_approval: 'waiting for approval',
  changes_requested: 'sent back for changes',
  approved: 'approved',
}

/** An editor (or owner) asks an owner to approve a draft or a series sent back for changes. */
export async function submitForApproval(services: Services, args: { workspaceId: string; seriesId: string; actor: SeriesActor }): Promise<void> {
  if (args.actor.role === 'viewer') throw new SeriesInputError('role', 'Submitting a series for approval needs the editor role; you are a viewer.', 403)
  const now = services.clock.now()
  await services.database.db.transaction(async (tx) => {
    const row = await lockSeries(tx, args)
    if (row.approval === 'pending_approval' || row.approval === 'approved') {
      throw new SeriesInputError('approval', `This series is already ${APPROVAL_WORDS[row.approval]}.`, 409)
    }
    await updateSeriesTiming(tx, { workspaceId: args.workspaceId, sequenceId: args.seriesId, now, timing: { approval: 'pending_approval', approvalBy: args.actor.userId, approvalAt: now } })
  })
}

const onlyOwners = (what: string, role: Role) => new SeriesInputError('role', `Only workspace owners can ${what}; you are ${role === 'editor' ? 'an editor' : 'a viewer'}.`, 403)

/**
 * An owner approves the whole series once. Its approval hold is released like a resume with `shift`:
 * posts whose dates passed while waiting take the next dates (no burst), the others keep theirs.
 */
export async function approveSeries(services: Services, args: { workspaceId: string; seriesId: string; actor: SeriesActor }): Promise<void> {
  if (args.actor.role !== 'owner') throw onlyOwners('approve a series', args.actor.role)
  let release = false
  await changeSeries(services, {
    workspaceId: args.workspaceId,
    sequenceId: args.seriesId,
    change: async (tx, row, now) => {
      if (row.approval === 'approved') throw new SeriesInputError('approval', 'This series is already approved.', 409)
      const open = row.pauses.at(-1)
      release = !!open && !open.until && open.reason === 'approval'
      await updateSeriesTiming(tx, {
        workspaceId: args.workspaceId,
        sequenceId: args.seriesId,
        now,
        timing: {
          approval: 'approved',
          approvalComment: null,
          approvalBy: args.actor.userId,
          approvalAt: now,
          // A hold that lasted no time at all is dropped (a pause must end after it began).
          ...(release
            ? { pauses: [...row.pauses.slice(0, -1), ...(now > new Date(open!.from) ? [{ ...open!, until: now.toISOString(), policy: 'shift' as const }] : [])] }
            : {}),
        },
      })
    },
  })
  if (!release) return
  const db = services.database.db
  const { jobsSynced } = await resumeSequence(db, { workspaceId: args.workspaceId, sequenceId: args.seriesId, clock: services.clock, scheduler: schedulerOf(services) })
  // Rows that were never enqueued (a draft's) are `planned`: their jobs now exist (else the reconciler enqueues them).
  if (!jobsSynced) return
  const planned = (await listDeliveries(db, { workspaceId: args.workspaceId, sequenceId: args.seriesId })).filter((d) => d.state === 'planned')
  await markQueued(db, { workspaceId: args.workspaceId, deliveryIds: planned.map((d) => d.id), clock: services.clock })
}

export const RequestChangesSchema = z.object({
  comment: z.string({ error: 'comment: say what should change' }).trim().min(1, { error: 'comment: say what should change' }).max(2000, { error: 'comment: at most 2000 characters' }),
})

/** The editor page's approval buttons (one form each). */
export const ApprovalActionSchema = z.discriminatedUnion('intent', [
  z.object({ intent: z.literal('submit') }),
  z.object({ intent: z.literal('approve') }),
  RequestChangesSchema.extend({ intent: z.literal('request-changes') }),
])

/** An owner sends a series back to its editor with a comment; it stays held. */
export async function requestChanges(services: Services, args: { workspaceId: string; seriesId: string; actor: SeriesActor; comment: string }): Promise<void> {
  if (args.actor.role !== 'owner') throw onlyOwners('request changes', args.actor.role)
  const now = services.clock.now()
  await services.database.db.transaction(async (tx) => {
    const row = await lockSeries(tx, args)
    if (row.approval === 'approved') throw new SeriesInputError('approval', 'This series is approved; pause it instead.', 409)
    await updateSeriesTiming(tx, {
      workspaceId: args.workspaceId,
      sequenceId: args.seriesId,
      now,
      timing: { approval: 'changes_requested', approvalComment: args.comment, approvalBy: args.actor.userId, approvalAt: now },
    })
  })
}

// ─── Occurrence edits (the calendar) ──────────────────────────────────────────────────────────────

/** The planned slot of a delivery's step, for overrides. */
async function slotOfDelivery(tx: Tx, args: { workspaceId: string; deliveryId: string; row: SeriesTimingRow }) {
  const [delivery] = await listDeliveries(tx, { workspaceId: args.workspaceId, sequenceId: args.row.sequenceId, deliveryIds: [args.deliveryId] })
  if (!delivery) throw new SeriesInputError('deliveryId', 'No such post in this series', 404)
  if (!(PENDING_STATES as readonly string[]).includes(delivery.state)) {
    throw new SeriesInputError('deliveryId', `This post is ${delivery.state.replace('_', ' ')} and can no longer be changed`, 409)
  }
  const steps = await listSteps(tx, { workspaceId: args.workspaceId, sequenceId: args.row.sequenceId })
  const k = steps.findIndex((s) => s.id === delivery.stepId) + 1
  const slot = planStoredSeries(args.row, steps.length).find((p) => p.step === k)
  if (!slot) throw new SeriesInputError('deliveryId', 'This post has no planned date', 409)
  return slot
}

function withOverride(row: SeriesTimingRow, revision: number, override: StoredOverride): Partial<SeriesTimingValues> {
  const replace = (list: StoredOverride[]) => [...list.filter((o) => o.occurrence !== override.occurrence), override]
  if (revision === 0) return { overrides: replace(row.overrides) }
  return { revisions: row.revisions.map((r, i) => (i === revision - 1 ? { ...r, overrides: replace(r.overrides) } : r)) }
}

/**
 * Move the occurrence a delivery sits on to another instant: an override of that occurrence (every
 * target of the step moves), not a rule change. Stored as the local time in the series' zone.
 */
export async function moveOccurrence(services: Services, args: { workspaceId: string; seriesId: string; deliveryId: string; to: Date }): Promise<void> {
  if (Number.isNaN(args.to.getTime())) throw new SeriesInputError('to', 'to: not a valid date-time')
  if (args.to <= services.clock.now()) throw new SeriesInputError('to', 'to: a post can only be moved into the future')
  await changeSeries(services, {
    workspaceId: args.workspaceId,
    sequenceId: args.seriesId,
    change: async (tx, row, now) => {
      const slot = await slotOfDelivery(tx, { ...args, row })
      const zone = slot.revision === 0 ? row.timezone : row.revisions[slot.revision - 1]!.timing.timezone
      const to = formatLocal(instantToWall(zone, args.to.getTime()))
      await updateSeriesTiming(tx, { workspaceId: args.workspaceId, sequenceId: args.seriesId, now, timing: withOverride(row, slot.revision, { kind: 'move', occurrence: slot.occurrenceIndex, to }) })
    },
  })
}

/** Leave the date of a delivery's occurrence out: this post and the later ones take the following dates. */
export async function skipOccurrence(services: Services, args: { workspaceId: string; seriesId: string; deliveryId: string }): Promise<void> {
  await changeSeries(services, {
    workspaceId: args.workspaceId,
    sequenceId: args.seriesId,
    change: async (tx, row, now) => {
      const slot = await slotOfDelivery(tx, { ...args, row })
      await updateSeriesTiming(tx, { workspaceId: args.workspaceId, sequenceId: args.seriesId, now, timing: withOverride(row, slot.revision, { kind: 'skip', occurrence: slot.occurrenceIndex }) })
    },
  })
}

/** Do not publish this one post (to this account); every other post keeps its date. */
export async function skipPost(services: Services, args: { workspaceId: string; seriesId: string; deliveryId: string }): Promise<void> {
  const [own] = await listCalendarDeliveries(services.database.db, { workspaceId: args.workspaceId, sequenceIds: [args.seriesId], deliveryIds: [args.deliveryId] })
  if (!own) throw new SeriesInputError('deliveryId', 'No such post in this series', 404)
  try {
    await skipDelivery(services.database.db, { workspaceId: args.workspaceId, deliveryId: args.deliveryId, clock: services.clock, scheduler: schedulerOf(services) })
  } catch (error) {
    throw new SeriesInputError('deliveryId', (error as Error).message.replace(/^state: /, ''), 409)
  }
}

// ─── Pause and resume ─────────────────────────────────────────────────────────────────────────────

export async function pauseSeries(services: Services, args: { workspaceId: string; seriesId: string }): Promise<void> {
  const db = services.database.db
  const now = services.clock.now()
  await db.transaction(async (tx) => {
    const row = await getSeriesTiming(tx, { workspaceId: args.workspaceId, sequenceId: args.seriesId, forUpdate: true })
    const sequence = await getSequence(tx, { workspaceId: args.workspaceId, sequenceId: args.seriesId })
    if (!row || !sequence) throw new SeriesInputError('seriesId', 'No such series in this workspace', 404)
    if (sequence.status === 'paused') throw new SeriesInputError('intent', row.approval === 'approved' ? 'The series is already paused' : 'The series waits for approval: nothing is published until an owner approves it', 409)
    await updateSeriesTiming(tx, { workspaceId: args.workspaceId, sequenceId: args.seriesId, now, timing: { pauses: [...row.pauses, { from: now.toISOString() }] } })
  })
  await pauseSequence(db, { workspaceId: args.workspaceId, sequenceId: args.seriesId, clock: services.clock, scheduler: schedulerOf(services) })
}

/**
 * Resume without a burst: `shift` moves the posts whose dates fell inside the pause (and all later ones)
 * onto the rule's next dates; `skip` leaves them out and keeps every other date.
 */
export async function resumeSeries(services: Services, args: { workspaceId: string; seriesId: string; policy: 'shift' | 'skip' }): Promise<void> {
  await changeSeries(services, {
    workspaceId: args.workspaceId,
    sequenceId: args.seriesId,
    change: async (tx, row, now) => {
      const open = row.pauses.at(-1)
      if (!open || open.until) throw new SeriesInputError('intent', 'The series is not paused', 409)
      if (open.reason === 'approval') throw new SeriesInputError('intent', 'The series waits for an owner’s approval; approving it resumes it.', 409)
      await updateSeriesTiming(tx, {
        workspaceId: args.workspaceId,
        sequenceId: args.seriesId,
        now,
        timing: { pauses: [...row.pauses.slice(0, -1), { ...open, until: now.toISOString(), policy: args.policy }] },
      })
    },
  })
  await resumeSequence(services.database.db, { workspaceId: args.workspaceId, sequenceId: args.seriesId, clock: services.clock, scheduler: schedulerOf(services) })
}

// ─── Reading ──────────────────────────────────────────────────────────────────────────────────────

export async function loadSeries(services: Services, args: { workspaceId: string; seriesId: string }) {
  const db = services.database.db
  const sequence = await getSequence(db, { workspaceId: args.workspaceId, sequenceId: args.seriesId })
  const row = sequence?.kind === 'series' ? await getSeriesTiming(db, { workspaceId: args.workspaceId, sequenceId: args.seriesId }) : null
  if (!sequence || !row) return null
  const [steps, accountIds, deliveries] = await Promise.all([
    listSteps(db, { workspaceId: args.workspaceId, sequenceId: args.seriesId }),
    listSeriesTargets(db, { workspaceId: args.workspaceId, sequenceId: args.seriesId }),
    listCalendarDeliveries(db, { workspaceId: args.workspaceId, sequenceIds: [args.seriesId] }),
  ])
  const timing = currentTiming(row)
  return {
    id: sequence.id,
    name: sequence.name,
    status: sequence.status,
    paused: row.pauses.at(-1) !== undefined && !row.pauses.at(-1)!.until,
    approval: row.approval,
    approvalComment: row.approvalComment,
    approvalAt: row.approvalAt?.toISOString() ?? null,
    rule: timing.rule,
    start: timing.start,
    timezone: timing.timezone,
    text: describeSeriesRule(timing, steps.length),
    posts: steps.map((s) => s.content.parts.map((p) => p.text).join('\n\n')),
    /** The posts with their thread parts and images (what the editor edits). */
    content: steps.map((s) => fromStepContent(s.content)),
    accountIds,
    deliveries: deliveries.map((d) => ({ id: d.id, post: d.position + 1, accountId: d.accountId, handle: d.accountHandle, dueAt: d.dueAt.toISOString(), state: d.state })),
  }
}
export type SeriesView = NonNullable<Awaited<ReturnType<typeof loadSeries>>>

// ─── The editor's live check ──────────────────────────────────────────────────────────────────────

export type DraftCheck = {
  preview: { text: string; occurrences: Array<{ post: number; local: string; utc: string }> } | { error: string; field: string }
  /** Per post, per thread part, per chosen account: length against the network's limit and the connector's problems. */
  counters: Array<Array<Array<{ accountId: string; handle: string; network: string; length: number; max: number; problems: string[] }>>>
  warnings: string[]
}

export const DraftSchema = z.object({
  posts: z
    .array(z.object({ parts: z.array(z.object({ text: z.string(), images: z.array(z.object({ mediaId: z.string(), alt: z.string() })) })).max(MAX_THREAD_PARTS) }))
    .max(MAX_POSTS),
  accountIds: z.array(z.string()),
  rule: z.string(),
  start: z.string(),
  timezone: z.string(),
  seriesId: z.string().optional(),
})

/**
 * What the editor shows while typing: the rule in words and its dates, per-network counters with the
 * connector's own validation (the same check saving runs), and warnings (posts on one account too close
 * together, an access token that expires before the last post and cannot renew itself).
 */
export async function checkDraft(services: Services, args: { workspaceId: string; draft: z.infer<typeof DraftSchema> }): Promise<DraftCheck> {
  const { draft, workspaceId } = args
  const posts = draft.posts.filter((p) => p.parts.some((part) => part.text.trim() || part.images.length))
  const accounts = (await listAccounts(services.database.db, { workspaceId })).filter((a) => draft.accountIds.includes(a.id))
  const images = await imagesOf(services, { workspaceId, posts: draft.posts.map((p) => ({ parts: p.parts.map((part) => ({ ...part, images: part.images.filter((i) => z.uuid().safeParse(i.mediaId).success) })) })) })
  const counters = draft.posts.map((post) => {
    const byAccount = accounts.map((account) => ({ account, problems: validatePost(services, { account, content: channelContent(post, images) }) }))
    return post.parts.map((part, j) =>
      byAccount.map(({ account, problems }) => {
        const connector = isConnectorKind(account.kind) ? services.connectors[account.kind] : undefined
        const mine = problems.filter((p) => p.path.startsWith(`parts[${j}]`) || (j === 0 && p.path === 'parts'))
        const missingAlt = part.images.flatMap((image, k) => (image.alt.trim() ? [] : [`Image ${k + 1} needs alt text.`]))
        return {
          accountId: account.id,
          handle: account.handle,
          network: connector?.displayName ?? account.kind,
          length: [...part.text].length,
          max: account.maxPostLength ?? connector?.limits.maxLength ?? 0,
          problems: [...mine.map((p) => p.message), ...missingAlt],
        }
      }),
    )
  })
  const timing: StoredTiming = { rule: draft.rule, start: draft.start, timezone: draft.timezone, exdates: [], rdates: [] }
  const parsed = SeriesTimingSchema.safeParse(planningTiming(timing, Math.max(1, posts.length)))
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!
    return { preview: { error: issue.message, field: issue.path.join('.') || 'rule' }, counters, warnings: [] }
  }
  const plan = planSeries({ timing: parsed.data, stepCount: Math.max(1, posts.length), limit: Math.min(10_000, Math.max(1, posts.length)) })
  const warnings: string[] = []
  if (posts.length > plan.length) warnings.push(`The rule has only ${plan.length} dates for ${posts.length} posts: posts ${plan.length + 1}–${posts.length} will not be scheduled.`)
  const others = await listCalendarDeliveries(services.database.db, { workspaceId, accountIds: accounts.map((a) => a.id), states: ['planned', 'queued'] })
  for (const account of accounts) {
    const times = [
      ...plan.map((p) => ({ at: p.at.getTime(), label: `post ${p.step}` })),
      ...others.filter((o) => o.accountId === account.id && o.sequenceId !== draft.seriesId).map((o) => ({ at: o.dueAt.getTime(), label: `“${o.seriesName}” post ${o.position + 1}` })),
    ].sort((a, b) => a.at - b.at)
    const close = times.findIndex((t, i) => i > 0 && t.at - times[i - 1]!.at < MIN_GAP_MINUTES * 60_000)
    if (close > 0) {
      warnings.push(`On @${account.handle}, ${times[close - 1]!.label} and ${times[close]!.label} are less than ${MIN_GAP_MINUTES} minutes apart.`)
    }
    const last = plan.at(-1)
    const connector = isConnectorKind(account.kind) ? services.connectors[account.kind] : undefined
    if (last && account.expiresAt && account.expiresAt < last.at && !connector?.refreshCredentials) {
      warnings.push(`The access token of @${account.handle} expires ${account.expiresAt.toISOString().slice(0, 10)}, before the last post (${last.local.slice(0, 10)}): reconnect the account before then.`)
    }
  }
  warnings.push(...quotaWarnings(services, { accounts, plan, posts, others: others.filter((o) => o.sequenceId !== draft.seriesId) }))
  return {
    preview: {
      text: describeSeriesRule(timing, Math.max(1, posts.length)),
      occurrences: plan.slice(0, 12).map((p) => ({ post: p.step, local: p.local.replace('T', ' '), utc: `${p.at.toISOString().slice(0, 16).replace('T', ' ')} UTC` })),
    },
    counters,
    warnings,
  }
}

/**
 * Quota and cost projection for networks with a daily post budget (connector `quota`, e.g. X's
 * X_POSTS_PER_DAY): the posts of this series (every thread part is a post) plus the workspace's other
 * pending posts on that network, per UTC day against the workspace's daily share; and the busiest
 * calendar month of this series, to compare with the monthly cap of the network's API plan.
 */
function quotaWarnings(
  services: Services,
  args: { accounts: AccountSummary[]; plan: PlannedStep[]; posts: Array<{ parts: unknown[] }>; others: Array<{ accountId: string; dueAt: Date }> },
): string[] {
  const warnings: string[] = []
  const kinds = [...new Set(args.accounts.map((a) => a.kind))]
  for (const kind of kinds) {
    const connector = isConnectorKind(kind) ? services.connectors[kind] : undefined
    if (!connector?.quota) continue
    const mine = args.accounts.filter((a) => a.kind === kind)
    const perDay = new Map<string, number>()
    const perMonth = new Map<string, number>()
    let total = 0
    for (const slot of args.plan) {
      const n = (args.posts[slot.step - 1]?.parts.length ?? 1) * mine.length
      const day = slot.at.toISOString().slice(0, 10)
      perDay.set(day, (perDay.get(day) ?? 0) + n)
      perMonth.set(day.slice(0, 7), (perMonth.get(day.slice(0, 7)) ?? 0) + n)
      total += n
    }
    const sameKind = new Set(mine.map((a) => a.id))
    for (const other of args.others) {
      const day = other.dueAt.toISOString().slice(0, 10)
      if (sameKind.has(other.accountId) && perDay.has(day)) perDay.set(day, perDay.get(day)! + 1)
    }
    const share = connector.quota.postsPerDayPerWorkspace
    const over = [...perDay.entries()].filter(([, n]) => n > share).sort(([a], [b]) => a.localeCompare(b))
    if (over.length) {
      warnings.push(
        `${connector.displayName} quota: on ${over[0]![0]} (UTC) this workspace would publish ${over[0]![1]} posts to ${connector.displayName}, more than its daily share of ${share}${over.length > 1 ? ` (and on ${over.length - 1} more days)` : ''}: the extra posts wait until the next day.`,
      )
    }
    const busiest = [...perMonth.entries()].sort(([, a], [, b]) => b - a)[0]
    if (busiest && total > 0) {
      warnings.push(
        `${connector.displayName} usage: this series publishes ${total} posts to ${connector.displayName} (at most ${busiest[1]} in one month, ${busiest[0]}; daily share ${share}). Check that your ${connector.displayName} API plan's monthly post cap covers it.`,
      )
    }
  }
  return warnings
}

// ─── The calendar ─────────────────────────────────────────────────────────────────────────────────

const TIMEZONES = Intl.supportedValuesOf('timeZone')
const CALENDAR_STATES = ['planned', 'queued', 'publishing', 'published', 'failed', 'missed', 'needs_review', 'skipped', 'canceled'] as const

export async function loadCalendar(services: Services, args: { workspaceId: string; params: URLSearchParams }) {
  const db = services.database.db
  const { workspaceId, params } = args
  const [accounts, series] = await Promise.all([listAccounts(db, { workspaceId }), listSeries(db, { workspaceId })])
  const pick = (name: string, allowed: string[]) => {
    const value = params.get(name) ?? ''
    return allowed.includes(value) ? value : ''
  }
  const account = pick('account', accounts.map((a) => a.id))
  const seriesId = pick('series', series.map((s) => s.id))
  const status = pick('status', [...CALENDAR_STATES])
  const tz = TIMEZONES.includes(params.get('tz') ?? '') || params.get('tz') === 'UTC' ? params.get('tz')! : (series.at(-1)?.timezone ?? 'UTC')
  const date = /^\d{4}-\d{2}-\d{2}$/.test(params.get('date') ?? '') ? params.get('date')! : undefined
  const rows = await listCalendarDeliveries(db, {
    workspaceId,
    accountIds: account ? [account] : undefined,
    sequenceIds: seriesId ? [seriesId] : undefined,
    states: status ? [status as (typeof CALENDAR_STATES)[number]] : ['planned', 'queued', 'publishing', 'published', 'failed', 'missed', 'needs_review', 'skipped'],
  })
  const firstPending = rows.find((r) => r.state === 'planned' || r.state === 'queued')
  return {
    items: rows.map((r) => ({
      id: r.id,
      seriesId: r.sequenceId,
      seriesName: r.seriesName,
      post: r.position + 1,
      title: `@${r.accountHandle} · ${r.text.slice(0, 60)}`,
      text: r.text,
      handle: r.accountHandle,
      start: r.dueAt.toISOString(),
      local: formatLocal(instantToWall(tz, r.dueAt.getTime())).replace('T', ' '),
      state: r.state as string,
      editable: (r.state === 'planned' || r.state === 'queued') && r.sequenceStatus === 'active',
      lastError: r.lastError,
      remoteUrl: r.remoteUrl,
    })),
    filters: { tz, account, series: seriesId, status, date: date ?? (firstPending ? formatLocal(instantToWall(tz, firstPending.dueAt.getTime())).slice(0, 10) : undefined) },
    options: {
      timezones: ['UTC', ...TIMEZONES.filter((z) => z !== 'UTC')],
      accounts: accounts.map((a) => ({ value: a.id, label: `@${a.handle}` })),
      series: series.map((s) => ({ value: s.id, label: s.name })),
      statuses: CALENDAR_STATES.map((s) => ({ value: s, label: s.replace('_', ' ') })),
    },
  }
}

export const CalendarActionSchema = z.discriminatedUnion(
  'intent',
  [
    z.object({ intent: z.literal('move'), seriesId: z.uuid({ error: 'seriesId: not a series id' }), deliveryId: z.uuid({ error: 'deliveryId: not a post id' }), to: z.iso.datetime({ error: 'to: an ISO 8601 date-time like 2026-03-19T08:00:00Z', offset: true }) }),
    z.object({ intent: z.literal('skip-post'), seriesId: z.uuid({ error: 'seriesId: not a series id' }), deliveryId: z.uuid({ error: 'deliveryId: not a post id' }) }),
    z.object({ intent: z.literal('skip-date'), seriesId: z.uuid({ error: 'seriesId: not a series id' }), deliveryId: z.uuid({ error: 'deliveryId: not a post id' }) }),
  ],
  { error: "intent: 'move', 'skip-post' or 'skip-date'" },
)

export type CalendarActionResult = { ok: true; message: string } | { ok: false; status: number; error: string; field?: string }

export async function runCalendarAction(services: Services, args: { workspaceId: string; action: z.infer<typeof CalendarActionSchema> }): Promise<CalendarActionResult> {
  const { action, workspaceId } = args
  const target = { workspaceId, seriesId: action.seriesId, deliveryId: action.deliveryId }
  try {
    if (action.intent === 'move') {
      await moveOccurrence(services, { ...target, to: new Date(action.to) })
      return { ok: true, message: 'The post was moved; the rule is unchanged.' }
    }
    if (action.intent === 'skip-post') {
      await skipPost(services, target)
      return { ok: true, message: 'The post was skipped; it will not be published.' }
    }
    await skipOccurrence(services, target)
    return { ok: true, message: 'The date was skipped; this post and the later ones moved to the following dates.' }
  } catch (error) {
    if (error instanceof SeriesInputError) return { ok: false, status: error.status, error: error.message, field: error.field }
    throw error
  }
}

// ─── The editor (new and edit share these) ────────────────────────────────────────────────────────

export async function loadEditorOptions(services: Services, args: { workspaceId: string }) {
  const accounts = await listAccounts(services.database.db, args)
  return {
    accounts: accounts.map((a) => ({
      id: a.id,
      handle: a.handle,
      network: (isConnectorKind(a.kind) && services.connectors[a.kind]?.displayName) || a.kind,
      status: a.status,
    })),
    timezones: ['UTC', ...TIMEZONES.filter((z) => z !== 'UTC')],
  }
}

/** The check route's form: the same field names as the editor's form, nothing required. */
export const DraftFormSchema = z.preprocess((raw) => {
  const form = raw as Record<string, string>
  return {
    posts: postsFromForm(form, { forSaving: false }),
    accountIds: Object.keys(form).filter((k) => k.startsWith('account-')).map((k) => k.slice('account-'.length)),
    rule: form.rule ?? '',
    start: form.start ?? '',
    timezone: form.timezone ?? '',
    seriesId: form.seriesId || undefined,
  }
}, DraftSchema)

/**
 * Save the editor's form (new when `seriesId` is absent). Returns the series id, or the field errors
 * to show next to their inputs (nothing was written then).
 */
export async function saveSeriesForm(
  services: Services,
  args: { workspaceId: string; seriesId?: string; input: SeriesInput; actor?: SeriesActor },
): Promise<{ ok: true; seriesId: string } | { ok: false; status: number; fieldErrors: Record<string, string> }> {
  try {
    if (!args.seriesId) return { ok: true, ...(await createSeries(services, { workspaceId: args.workspaceId, input: args.input, actor: args.actor })) }
    await updateSeries(services, { workspaceId: args.workspaceId, seriesId: args.seriesId, input: args.input, actor: args.actor })
    return { ok: true, seriesId: args.seriesId }
  } catch (error) {
    if (error instanceof SeriesInputError) return { ok: false, status: error.status, fieldErrors: { [error.field]: error.message } }
    throw error
  }
}

/** The editor's initial values for a new series. */
export function newSeriesDefaults(services: Services, args: { timezone: string }): EditorDefaults {
  const tomorrow = new Date(services.clock.now().getTime() + 86_400_000)
  return {
    name: '',
    posts: [{ parts: [{ text: '', images: [] }] }],
    accountIds: [],
    rule: 'FREQ=WEEKLY;BYDAY=TU,TH;BYHOUR=9;BYMINUTE=0',
    start: `${formatLocal(instantToWall(args.timezone, tomorrow.getTime())).slice(0, 10)}T09:00`,
    timezone: args.timezone,
  }
}
type EditorDefaults = { name: string; posts: PostInput[]; accountIds: string[]; rule: string; start: string; timezone: string }
