/**
 * Series: create and edit (docs/decisions/011-series-and-calendar.md), read one back, and the editor's
 * options and defaults (new and edit share them).
 *
 * Every change follows one path: record the user's intent (posts, targets, timing edits) → planSeries
 * → diff against the existing deliveries (published and other settled ones keep their times, changed
 * pending ones move, removed ones are canceled, new ones are planned), all in one transaction → after
 * commit, jobs are scheduled or removed through the pipeline's DeliveryScheduler (planning.server.ts).
 */
import { listWorkspaceHashtagGroups } from '../hashtag-groups.server'
import { and, eq } from 'drizzle-orm'
import { isConnectorKind } from '../../connectors/registry'
import { listAccounts } from '../../db/queries/accounts'
import { listDeliveries } from '../../db/queries/deliveries'
import { createSequence, getSequence, listSteps } from '../../db/queries/sequences'
import { bumpPendingOfStep, getSeriesTiming, holdSequenceInTx, insertSeriesTiming, listCalendarDeliveries, listSeriesTargets, setSeriesTargets, updateSeriesTiming } from '../../db/queries/series'
import { sequenceSteps, sequences, type StepContent, type StoredTiming } from '../../db/schema/index'
import { campaignTag } from '../../domain/campaign'
import { formatLocal, instantToWall } from '../../domain/timing/zone'
import type { DeliveryState } from '../../domain/delivery'
import { seriesRunState } from '../../domain/series-state'
import type { Services } from '../services.server'
import { holdForApproval, needsApproval, type SeriesActor } from './approval.server'
import { InputError } from '../errors'
import { messageForPeople } from '../field-labels'
import { applyJobEffects, changeSeries, replanInTx } from './planning.server'
import { fromStepContent, toStepContent, type PostInput, type SeriesInput } from './schemas'
import { currentTiming, describeSeriesRule, movedPosts, pastStartProblem, planStoredSeries, TIMEZONES } from './timing'
import { checkTargetsAndPosts } from './validation.server'
import { holdPostImages, rememberAltTexts } from '../media.server'

/** Every image the posts use (main parts and variants), with its alt text and field. */
function postImages(posts: PostInput[]): Array<{ mediaId: string; alt: string; field: string }> {
  return posts.flatMap((post, i) =>
    [[`posts.${i}`, post.parts] as const, ...Object.entries(post.variants ?? {}).map(([network, v]) => [`posts.${i}.variants.${network}`, v.parts] as const)].flatMap(([prefix, parts]) =>
      parts.flatMap((part, j) => part.images.map((image, k) => ({ mediaId: image.mediaId, alt: image.alt, field: `${prefix}.parts.${j}.images.${k}.mediaId` }))),
    ),
  )
}

// ─── Create and edit ──────────────────────────────────────────────────────────────────────────────

const sameContent = (a: StepContent, b: StepContent) => JSON.stringify(fromStepContent(a)) === JSON.stringify(fromStepContent(b))

export async function createSeries(services: Services, args: { workspaceId: string; input: SeriesInput; actor?: SeriesActor }): Promise<{ seriesId: string }> {
  const { workspaceId, input, actor } = args
  await checkTargetsAndPosts(services, args)
  const now = services.clock.now()
  const past = pastStartProblem({ rule: input.rule, start: input.start, timezone: input.timezone, exdates: [], rdates: [] }, input.posts.length, now)
  if (past) throw new InputError('start', past)
  const { sequence, effects } = await services.database.db.transaction(async (tx) => {
    await holdPostImages(tx, { workspaceId, images: postImages(input.posts) })
    const { sequence } = await createSequence(tx, {
      workspaceId,
      kind: 'series',
      name: input.name,
      timezone: input.timezone,
      steps: input.posts.map(toStepContent),
      shortLinks: input.shortLinks ?? true,
      campaign: campaignTag(input.campaign),
      clock: services.clock,
    })
    await insertSeriesTiming(tx, {
      workspaceId,
      sequenceId: sequence.id,
      timing: { rule: input.rule, start: input.start, timezone: input.timezone, exdates: [], rdates: [], evergreen: input.evergreen ?? null },
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
  await rememberAltTexts(services, { workspaceId, images: postImages(input.posts) })
  return { seriesId: sequence.id }
}

const sameEvergreen = (a: StoredTiming['evergreen'], b: StoredTiming['evergreen']) => (a?.minGap ?? null) === (b?.minGap ?? null) && (a?.until ?? null) === (b?.until ?? null)
const sameTiming = (a: StoredTiming, b: StoredTiming) => a.rule === b.rule && a.start === b.start && a.timezone === b.timezone && sameEvergreen(a.evergreen, b.evergreen)

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
      await holdPostImages(tx, { workspaceId, images: postImages(input.posts) })
      const steps = await listSteps(tx, { workspaceId, sequenceId })
      const deliveries = await listDeliveries(tx, { workspaceId, sequenceId })
      const settled = (stepId: string) => deliveries.some((d) => d.stepId === stepId && !['planned', 'queued', 'canceled'].includes(d.state))
      for (const [i, step] of steps.entries()) {
        const post = input.posts[i]
        if (post === undefined) {
          if (settled(step.id)) throw new InputError(`posts.${i}`, `posts.${i}: post ${i + 1} has already gone out (or was skipped) and cannot be removed`)
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
      // Evergreen absent (an API update that leaves it out): unchanged (decision 107).
      const evergreen = input.evergreen === undefined ? (currentTiming(row).evergreen ?? null) : input.evergreen
      const next: StoredTiming = { rule: input.rule, start: input.start, timezone: input.timezone, exdates: [], rdates: [], evergreen }
      await tx
        .update(sequences)
        .set({ name: input.name, timezone: input.timezone, ...(input.shortLinks === undefined ? {} : { shortLinks: input.shortLinks }), ...(input.campaign === undefined ? {} : { campaign: campaignTag(input.campaign) }), updatedAt: now })
        .where(eq(sequences.id, sequenceId))
      const held = needsApproval(actor) && row.approval === 'approved' ? await holdForApproval(tx, { workspaceId, sequenceId, row, actor, now }) : []
      if (sameTiming(currentTiming(row), next)) return held
      // A stored timing that yields no date (one saved before the schema refused such rules) has not started.
      const first = planStoredSeries(row, steps.length)[0]
      const started = deliveries.some((d) => !['planned', 'queued', 'canceled', 'skipped'].includes(d.state)) || (first !== undefined && first.at <= now)
      // Not started: the new timing replaces the old one whole, so its first post must still be to come.
      const past = started ? null : pastStartProblem(next, input.posts.length, now)
      if (past) throw new InputError('start', past)
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
  await rememberAltTexts(services, { workspaceId, images: postImages(input.posts) })
}

const countBy = (states: DeliveryState[]) => states.reduce<Partial<Record<DeliveryState, number>>>((counts, state) => ({ ...counts, [state]: (counts[state] ?? 0) + 1 }), {})

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
  const moved = movedPosts(row, steps.length)
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
    /** Repeat from post 1 (decision 107), or null. */
    evergreen: timing.evergreen ?? null,
    shortLinks: sequence.shortLinks,
    campaign: sequence.campaign,
    text: describeSeriesRule(timing, steps.length),
    posts: steps.map((s) => s.content.parts.map((p) => p.text).join('\n\n')),
    /** The posts with their thread parts and images (what the editor edits). */
    content: steps.map((s) => fromStepContent(s.content)),
    accountIds,
    /** Where each post stands now, in time order: a moved one at its new time (with the rule's date), a skipped one as skipped. */
    deliveries: deliveries.map((d) => ({
      id: d.id,
      post: d.position + 1,
      /** The round of an evergreen series, from 1 (decision 107). */
      round: d.cycle + 1,
      accountId: d.accountId,
      handle: d.accountHandle,
      dueAt: d.dueAt.toISOString(),
      state: d.state,
      movedFrom: (d.cycle === 0 && moved.get(d.position + 1)?.toISOString()) || null,
    })),
    runState: seriesRunState({ status: sequence.status, counts: countBy(deliveries.map((d) => d.state as DeliveryState)) }),
  }
}
export type SeriesView = NonNullable<Awaited<ReturnType<typeof loadSeries>>>

// ─── The editor (new and edit share these) ────────────────────────────────────────────────────────

export async function loadEditorOptions(services: Services, args: { workspaceId: string }) {
  // A series posts to accounts' own audiences: senders of a connector that reads `email` are not targets.
  const accounts = (await listAccounts(services.database.db, args)).filter((a) => !isConnectorKind(a.kind) || (services.connectors[a.kind]?.reads ?? 'parts') === 'parts')
  return {
    accounts: accounts.map((a) => ({
      id: a.id,
      kind: a.kind,
      handle: a.handle,
      network: (isConnectorKind(a.kind) && services.connectors[a.kind]?.displayName) || a.kind,
      status: a.status,
    })),
    timezones: ['UTC', ...TIMEZONES.filter((z) => z !== 'UTC')],
    hashtagGroups: await listWorkspaceHashtagGroups(services, args),
  }
}

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
    if (error instanceof InputError) return { ok: false, status: error.status, fieldErrors: { [error.field ?? 'form']: messageForPeople(error.message) } }
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
