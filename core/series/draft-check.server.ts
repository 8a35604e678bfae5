/**
 * The editor's live check, while the user types: the rule in words and its dates, per-network counters
 * with the connectors' own validation, and warnings (posts too close together, expiring tokens, quotas).
 */
import { z } from 'zod'
import { isConnectorKind } from '../../connectors/registry'
import { listAccounts, type AccountSummary } from '../../db/queries/accounts'
import { listCalendarDeliveries } from '../../db/queries/series'
import type { StoredTiming } from '../../db/schema/index'
import { planSeries, SeriesTimingSchema, type PlannedStep } from '../../domain/recurrence/index'
import type { Services } from '../services.server'
import type { PostLook } from '../../connectors/types'
import { evergreenProblems, postForNetwork, publishedParts, type DraftSchema, type PostInput } from './schemas'
import { describeSeriesRule, EVERGREEN_MAX_POSTS, pastStartProblem, planningTiming } from './timing'
import { formatLocal, instantToWall } from '../../domain/timing/zone'
import { channelContent, imagesOf, validatePost } from './validation.server'

/** Two posts on one account closer than this get a warning. */
export const MIN_GAP_MINUTES = 30

export type DraftCheck = {
  preview:
    | {
        text: string
        /** The first dates; `round` counts an evergreen series' rounds from 1 (decision 107). */
        occurrences: Array<{ post: number; round: number; local: string; utc: string }>
        /** An evergreen series: how many rounds until its end, and each round's first date. */
        rounds?: Array<{ round: number; first: string; last: string }>
      }
    | { error: string; field: string }
  /** Per post, per thread part, per chosen account: length against the network's limit and the connector's problems. */
  counters: Array<Array<Array<Counter>>>
  /**
   * Per post, per network with a variant (decision 098): the variant's counters, per part (then the first
   * comment) per account on that network. The main `counters` leave those accounts out.
   */
  variantCounters: Array<Record<string, Array<Array<Counter>>>>
  warnings: string[]
  /** The chosen accounts as the preview shows them (decision 091): name, handle, and how their network shows a post. */
  targets: PreviewTarget[]
}

export type Counter = { accountId: string; handle: string; network: string; length: number; max: number; problems: string[] }

export type PreviewTarget = { accountId: string; kind: string; handle: string; displayName: string | null; network: string; look: PostLook }

const DEFAULT_LOOK: PostLook = { layout: 'card', linkCard: false }

/**
 * What the editor shows while typing: the rule in words and its dates, per-network counters with the
 * connector's own validation (the same check saving runs), and warnings (posts on one account too close
 * together, an access token that expires before the last post and cannot renew itself).
 */
export async function checkDraft(services: Services, args: { workspaceId: string; draft: z.infer<typeof DraftSchema> }): Promise<DraftCheck> {
  const { draft, workspaceId } = args
  const posts = draft.posts.filter((p) => p.parts.some((part) => part.text.trim() || part.images.length))
  const accounts = (await listAccounts(services.database.db, { workspaceId })).filter((a) => draft.accountIds.includes(a.id))
  const usable = (parts: PostInput['parts']) => parts.map((part) => ({ ...part, images: part.images.filter((i) => z.uuid().safeParse(i.mediaId).success) }))
  const images = await imagesOf(services, {
    workspaceId,
    posts: draft.posts.map((p) => ({ parts: usable(p.parts), variants: Object.fromEntries(Object.entries(p.variants ?? {}).map(([k, v]) => [k, { parts: usable(v.parts) }])) })),
  })
  const countersOf = (post: PostInput, on: AccountSummary[]): Counter[][] => {
    const byAccount = on.map((account) => ({ account, problems: validatePost(services, { account, content: channelContent(post, images) }) }))
    return publishedParts(post).map((part, j) =>
      byAccount.map(({ account, problems }) => {
        const connector = isConnectorKind(account.kind) ? services.connectors[account.kind] : undefined
        const mine = problems.filter((p) => p.path.startsWith(`parts[${j}]`) || (j === 0 && p.path === 'parts'))
        const missingAlt = part.images.flatMap((image, k) => (image.alt.trim() ? [] : [`Image ${k + 1} needs alt text.`]))
        return {
          accountId: account.id,
          handle: account.handle,
          network: connector?.displayName ?? account.kind,
          length: connector?.measure?.(part.text) ?? [...part.text].length,
          max: account.maxPostLength ?? connector?.limits.maxLength ?? 0,
          problems: [...mine.map((p) => p.message), ...missingAlt],
        }
      }),
    )
  }
  const hasVariant = (post: PostInput, kind: string) => (post.variants?.[kind]?.parts.length ?? 0) > 0
  const counters = draft.posts.map((post) => countersOf(post, accounts.filter((a) => !hasVariant(post, a.kind))))
  const variantCounters = draft.posts.map((post) =>
    Object.fromEntries(
      [...new Set(accounts.map((a) => a.kind))].filter((kind) => hasVariant(post, kind)).map((kind) => [kind, countersOf(postForNetwork(post, kind), accounts.filter((a) => a.kind === kind))]),
    ),
  )
  const targets = accounts.map((account): PreviewTarget => {
    const connector = isConnectorKind(account.kind) ? services.connectors[account.kind] : undefined
    return { accountId: account.id, kind: account.kind, handle: account.handle, displayName: account.displayName, network: connector?.displayName ?? account.kind, look: connector?.look ?? DEFAULT_LOOK }
  })
  const timing: StoredTiming = { rule: draft.rule, start: draft.start, timezone: draft.timezone, exdates: [], rdates: [], evergreen: draft.evergreen ?? null }
  const parsed = SeriesTimingSchema.safeParse(planningTiming(timing, Math.max(1, posts.length)))
  const problem = parsed.success ? evergreenProblems(parsed.data, Math.max(1, posts.length))[0] : { path: parsed.error.issues[0]!.path.map(String), message: parsed.error.issues[0]!.message }
  if (!parsed.success || problem) {
    return { preview: { error: problem!.message, field: problem!.path.join('.') || 'rule' }, counters, variantCounters, warnings: [], targets }
  }
  // Every round of an evergreen series (decision 107), as saving plans them.
  const plan = planSeries({ timing: parsed.data, stepCount: Math.max(1, posts.length), limit: parsed.data.evergreen ? EVERGREEN_MAX_POSTS : Math.min(10_000, Math.max(1, posts.length)) })
  const firstRound = plan.filter((p) => p.cycle === 1)
  const warnings: string[] = []
  const past = draft.seriesId ? null : pastStartProblem(timing, Math.max(1, posts.length), services.clock.now())
  if (past) warnings.push(past)
  if (posts.length > firstRound.length) warnings.push(`The rule has only ${firstRound.length} dates for ${posts.length} posts: posts ${firstRound.length + 1}–${posts.length} will not be scheduled.`)
  const others = await listCalendarDeliveries(services.database.db, { workspaceId, accountIds: accounts.map((a) => a.id), states: ['planned', 'queued'] })
  for (const account of accounts) {
    const times = [
      ...plan.map((p) => ({ at: p.at.getTime(), label: p.cycle > 1 ? `post ${p.step} (round ${p.cycle})` : `post ${p.step}` })),
      ...others.filter((o) => o.accountId === account.id && o.sequenceId !== draft.seriesId).map((o) => ({ at: o.dueAt.getTime(), label: `“${o.seriesName}” post ${o.position + 1}` })),
    ].sort((a, b) => a.at - b.at)
    const close = times.findIndex((t, i) => i > 0 && t.at - times[i - 1]!.at < MIN_GAP_MINUTES * 60_000)
    if (close > 0) {
      warnings.push(`On @${account.handle}, ${times[close - 1]!.label} and ${times[close]!.label} are less than ${MIN_GAP_MINUTES} minutes apart.`)
    }
    const last = plan.at(-1)
    const connector = isConnectorKind(account.kind) ? services.connectors[account.kind] : undefined
    if (last && account.expiresAt && account.expiresAt < last.at && !connector?.refreshCredentials) {
      warnings.push(`The access token of @${account.handle} expires ${formatLocal(instantToWall(draft.timezone, account.expiresAt.getTime())).replace('T', ' ')} (${draft.timezone}), before the last post (${last.local.slice(0, 10)}): reconnect the account before then.`)
    }
  }
  warnings.push(...quotaWarnings(services, { accounts, plan, posts, others: others.filter((o) => o.sequenceId !== draft.seriesId) }))
  return {
    preview: {
      text: describeSeriesRule(timing, Math.max(1, posts.length)),
      occurrences: plan.slice(0, 12).map((p) => ({ post: p.step, round: p.cycle, local: p.local.replace('T', ' '), utc: `${p.at.toISOString().slice(0, 16).replace('T', ' ')} UTC` })),
      ...(parsed.data.evergreen ? { rounds: roundsOf(plan) } : {}),
    },
    counters,
    variantCounters,
    warnings,
    targets,
  }
}

/** Each round's first and last date (local), in order. */
function roundsOf(plan: PlannedStep[]): Array<{ round: number; first: string; last: string }> {
  const rounds = new Map<number, { round: number; first: string; last: string }>()
  for (const p of plan) {
    const local = p.local.replace('T', ' ')
    const round = rounds.get(p.cycle)
    if (round) round.last = local
    else rounds.set(p.cycle, { round: p.cycle, first: local, last: local })
  }
  return [...rounds.values()]
}

/**
 * Quota and cost projection for networks with a daily post budget (connector `quota`, e.g. X's
 * X_POSTS_PER_DAY): the posts of this series (every thread part is a post) plus the workspace's other
 * pending posts on that network, per UTC day against the workspace's daily share; and the busiest
 * calendar month of this series, to compare with the monthly cap of the network's API plan.
 */
function quotaWarnings(
  services: Services,
  args: { accounts: AccountSummary[]; plan: PlannedStep[]; posts: Array<{ parts: unknown[]; variants?: Record<string, { parts: unknown[] }> }>; others: Array<{ accountId: string; dueAt: Date }> },
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
      // The network's variant (decision 098) is what it publishes, so its parts are what count.
      const post = args.posts[slot.step - 1]
      const n = (post ? post.variants?.[kind]?.parts.length || post.parts.length : 1) * mine.length
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
