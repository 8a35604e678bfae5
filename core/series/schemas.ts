/**
 * The zod input schemas of a series, shared by the editor's forms and the API (one schema per form),
 * and the post shape they produce. Pure: no database, no services.
 */
import { z } from 'zod'
import { CampaignSchema } from '../../domain/campaign'
import { lineSchema } from '../../domain/text'
import { NETWORK_KEY } from '../../domain/series/variants'
import type { StepContent } from '../../db/schema/index'
import { planSeries, SeriesTimingSchema } from '../../domain/recurrence/index'
import { addDuration, parseIsoDuration } from '../../domain/timing/duration'
import { parseLocal, wallToInstant } from '../../domain/timing/zone'
import { EVERGREEN_MAX_POSTS, EVERGREEN_MAX_YEARS, planningTiming } from './timing'

export const MAX_POSTS = 1000
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

/** A network's own version of a post (decision 098): its parts; a plain string is a one-part variant. */
const VariantSchema = z.preprocess(
  (value) => (typeof value === 'string' ? { parts: [{ text: value }] } : value),
  z
    .object(
      {
        parts: z.array(PartSchema, { error: 'parts: a list of { text, images }' }).min(1, { error: 'parts: at least one part' }).max(MAX_THREAD_PARTS, { error: `parts: at most ${MAX_THREAD_PARTS} parts in a thread` }),
      },
      { error: 'variants: each variant is a text or { parts }' },
    )
    .strict()
    .superRefine((variant, ctx) => {
      variant.parts.forEach((part, j) => {
        if (part.text || part.images.length) return
        ctx.addIssue({ code: 'custom', path: ['parts', j, 'text'], message: 'text: a variant needs text or an image (or remove the variant to use the main text)' })
      })
    }),
)

/**
 * One post: plain text, or `{ parts }` for a thread (each part its own post on the network, replying to
 * the one before) with images per part and their alt text.
 */
export const PostSchema = z.preprocess(
  (value) => (typeof value === 'string' ? { parts: [{ text: value }] } : value),
  z
    .object(
      {
        parts: z.array(PartSchema, { error: 'parts: a list of { text, images }' }).min(1, { error: 'parts: at least one part' }).max(MAX_THREAD_PARTS, { error: `parts: at most ${MAX_THREAD_PARTS} parts in a thread` }),
        /** Posted as a reply right after the post (after its last part), through the thread machinery (decision 091). */
        firstComment: z.string({ error: 'firstComment: must be text' }).trim().max(10_000, { error: 'firstComment: at most 10000 characters' }).optional(),
        /** Per-network variants keyed by connector kind (`linkedin`, `x`, …); a network without one publishes the main parts (decision 098). */
        variants: z
          .record(z.string().regex(NETWORK_KEY, { error: 'variants: keys are networks such as x, linkedin or mastodon' }), VariantSchema, { error: 'variants: an object of network → { parts }' })
          .optional(),
      },
      { error: 'posts: each post is a text or { parts }' },
    )
    .strict()
    .superRefine((post, ctx) => {
      post.parts.forEach((part, j) => {
        if (part.text || part.images.length) return
        ctx.addIssue({ code: 'custom', path: post.parts.length === 1 ? [] : ['parts', j, 'text'], message: post.parts.length === 1 ? 'posts: a post cannot be empty' : 'text: a part of a thread needs text or an image' })
      })
    })
    .describe(
      'A post: { parts } (a thread; images need alt text), an optional firstComment posted as a reply right after it, and optional variants: per network (x, linkedin, mastodon, …) its own { parts } published there instead of the main ones. A plain string is accepted as a one-part post without images.',
    ),
)
export type PartInput = { text: string; images: Array<{ mediaId: string; alt: string }> }
export type PostInput = { parts: PartInput[]; firstComment?: string; /** Per network (connector kind): its own parts (decision 098). */ variants?: Record<string, { parts: PartInput[] }> }

/** The post's parts as published: its thread, then its first comment as one more reply (decision 091). */
export function publishedParts(post: PostInput): PostInput['parts'] {
  return post.firstComment ? [...post.parts, { text: post.firstComment, images: [] }] : post.parts
}

/** The post as `network` publishes it: its variant's parts (decision 098) or the main ones; the first comment is shared. */
export function postForNetwork(post: PostInput, network: string): PostInput {
  const variant = post.variants?.[network]
  return { parts: variant && variant.parts.length ? variant.parts : post.parts, ...(post.firstComment !== undefined ? { firstComment: post.firstComment } : {}) }
}

/**
 * What a step stores for a post (no empty image lists). A first comment is stored as the thread's last
 * part, flagged `firstComment`, so publishing, resuming, reconciling and short links treat it as a reply.
 */
export function toStepContent(post: PostInput): StepContent {
  const stored = (p: PartInput) => (p.images.length ? { text: p.text, images: p.images.map((i) => ({ mediaId: i.mediaId, alt: i.alt })) } : { text: p.text })
  const parts = publishedParts(post).map(stored)
  const variants = Object.entries(post.variants ?? {}).filter(([, v]) => v.parts.length > 0)
  return {
    parts,
    ...(post.firstComment ? { firstComment: true as const } : {}),
    ...(variants.length ? { variants: Object.fromEntries(variants.map(([network, v]) => [network, { parts: v.parts.map(stored) }])) } : {}),
  }
}
export function fromStepContent(content: StepContent): PostInput {
  const read = (p: StepContent['parts'][number]): PartInput => ({ text: p.text, images: (p.images ?? []).map((i) => ({ mediaId: i.mediaId, alt: i.alt })) })
  const parts = content.parts.map(read)
  const variants = content.variants && Object.keys(content.variants).length ? { variants: Object.fromEntries(Object.entries(content.variants).map(([network, v]) => [network, { parts: v.parts.map(read) }])) } : {}
  if (!content.firstComment || parts.length < 2) return { parts, ...variants }
  return { parts: parts.slice(0, -1), firstComment: parts.at(-1)!.text, ...variants }
}

/** The fields of a series as the editor and the API send them. */
export const SeriesInputSchema = z
  .object({
    name: lineSchema('name: must not contain control characters').trim().min(1, { error: 'name: give the series a name' }).max(200, { error: 'name: at most 200 characters' }),
    posts: z
      .array(PostSchema, { error: 'posts: a list of posts (texts, or { parts } for threads and images)' })
      .min(1, { error: 'posts: write at least one post' })
      .max(MAX_POSTS, { error: `posts: at most ${MAX_POSTS} posts` }),
    accountIds: z.array(z.uuid({ error: 'accountIds: not an account id' }), { error: 'accountIds: a list of account ids' }).min(1, { error: 'accountIds: choose at least one account' }),
    rule: z.string({ error: 'rule: an RRULE like FREQ=WEEKLY;BYDAY=TU,TH;BYHOUR=9;BYMINUTE=0' }),
    start: z.string({ error: 'start: a local date-time like 2026-03-17T09:00' }),
    timezone: z.string({ error: 'timezone: an IANA time zone like Europe/Berlin' }),
    /** Links go out as short links `APP_URL/l/{code}` with UTM parameters (decision 084). New series: on; absent on an update: unchanged. */
    shortLinks: z.boolean({ error: 'shortLinks: true or false' }).optional(),
    /** A campaign tag shared with drips (decision 094); null or empty: none; absent on an update: unchanged. */
    campaign: CampaignSchema.optional(),
    /**
     * Repeat the series from post 1 (decision 107): each round starts at the rule's first date at least
     * `minGap` after the last post of the round before, until the local date-time `until`. Null: off;
     * absent on an update: unchanged.
     */
    evergreen: z
      .object(
        {
          minGap: z.string({ error: 'evergreen.minGap: an ISO 8601 duration like P30D (the least time between rounds)' }),
          until: z.string({ error: 'evergreen.until: a local date-time like 2027-06-30T00:00 (when the rounds end)' }),
        },
        { error: 'evergreen: an object { minGap, until }, or null to end with the last post' },
      )
      .strict()
      .nullable()
      .optional(),
  })
  .strict()
  .superRefine((value, ctx) => {
    const evergreen = value.evergreen ?? undefined
    const timing = SeriesTimingSchema.safeParse(planningTiming({ rule: value.rule, start: value.start, timezone: value.timezone, exdates: [], rdates: [], evergreen }, value.posts.length))
    if (timing.success) {
      // The rule's own check works on wall times; a UTC UNTIL before the start leaves no date at all.
      if (planSeries({ timing: timing.data, stepCount: Math.max(1, value.posts.length), limit: 1 }).length === 0)
        ctx.addIssue({ code: 'custom', path: ['rule'], message: 'rule: produces no dates from start on (is its UNTIL before the start?)' })
      if (evergreen) for (const issue of evergreenProblems(timing.data, Math.max(1, value.posts.length))) ctx.addIssue({ code: 'custom', ...issue })
      return
    }
    for (const issue of timing.error.issues) ctx.addIssue({ code: 'custom', path: issue.path.length ? issue.path : ['rule'], message: issue.message })
  })
export type SeriesInput = Omit<z.infer<typeof SeriesInputSchema>, 'posts'> & { posts: PostInput[] }

/**
 * The bounds of an evergreen series (decision 107), on a timing the schema accepted: a gap longer than
 * zero, an end at most EVERGREEN_MAX_YEARS after the start, and at most EVERGREEN_MAX_POSTS posts planned
 * (every round is planned when the series is saved).
 */
export function evergreenProblems(timing: z.infer<typeof SeriesTimingSchema>, stepCount: number): Array<{ path: string[]; message: string }> {
  const evergreen = timing.evergreen
  if (!evergreen) return []
  const gap = parseIsoDuration(evergreen.minGap)
  if (gap && Object.values(gap).every((n) => n === 0)) return [{ path: ['evergreen', 'minGap'], message: 'evergreen.minGap: the gap between rounds must be longer than zero' }]
  const start = wallToInstant(timing.timezone, parseLocal(timing.start)!).at
  const until = wallToInstant(timing.timezone, parseLocal(evergreen.until)!).at
  const latest = addDuration({ at: new Date(start), duration: { years: EVERGREEN_MAX_YEARS, months: 0, weeks: 0, days: 0, hours: 0, minutes: 0, seconds: 0 }, timezone: timing.timezone }).getTime()
  if (until > latest) return [{ path: ['evergreen', 'until'], message: `evergreen.until: the rounds can run at most ${EVERGREEN_MAX_YEARS} years from the start` }]
  const planned = planSeries({ timing, stepCount, limit: EVERGREEN_MAX_POSTS + 1 })
  if (planned.length > EVERGREEN_MAX_POSTS)
    return [{ path: ['evergreen', 'until'], message: `evergreen.until: more than ${EVERGREEN_MAX_POSTS.toLocaleString('en')} posts until this date; choose an earlier end or a longer gap` }]
  return []
}

/**
 * The posts of the editor's form: `post-N` is post N's text (its first part), `post-N-part-M` part M of
 * its thread, `post-N-part-M-image-K` and `post-N-part-M-alt-K` the K-th image of that part and its alt
 * text. A network's variant (decision 098) has the same fields after `post-N-variant-<network>`:
 * `post-N-variant-linkedin` (its first part), `post-N-variant-linkedin-part-2`,
 * `post-N-variant-linkedin-part-1-image-1`. With `forSaving`, empty parts, variants and posts are dropped
 * and a single-part post holding lines `---` is split into several posts.
 */
export function postsFromForm(form: Record<string, unknown>, options: { forSaving: boolean }): PostInput[] {
  type FormPart = { text: string; images: Map<number, { mediaId: string; alt: string }> }
  type FormPost = { parts: Map<number, FormPart>; variants: Map<string, Map<number, FormPart>> }
  const posts = new Map<number, FormPost>()
  const comments = new Map<number, string>()
  const postOf = (n: number) => {
    const post = posts.get(n) ?? { parts: new Map(), variants: new Map() }
    posts.set(n, post)
    return post
  }
  const partIn = (parts: Map<number, FormPart>, m: number) => {
    const part = parts.get(m) ?? { text: '', images: new Map() }
    parts.set(m, part)
    return part
  }
  const setField = (part: FormPart, what: string | undefined, k: string | undefined, value: string) => {
    if (!what) return void (part.text = value)
    const image = part.images.get(Number(k)) ?? { mediaId: '', alt: '' }
    image[what === 'image' ? 'mediaId' : 'alt'] = value
    part.images.set(Number(k), image)
  }
  for (const [key, value] of Object.entries(form)) {
    if (typeof value !== 'string') continue
    const comment = /^post-(\d+)-comment$/.exec(key)
    if (comment) {
      comments.set(Number(comment[1]), value)
      partIn(postOf(Number(comment[1])).parts, 1)
      continue
    }
    const variant = /^post-(\d+)-variant-([a-z][a-z0-9_]*)(?:-part-(\d+)(?:-(image|alt)-(\d+))?)?$/.exec(key)
    if (variant) {
      const post = postOf(Number(variant[1]))
      const parts = post.variants.get(variant[2]!) ?? new Map<number, FormPart>()
      post.variants.set(variant[2]!, parts)
      setField(partIn(parts, Number(variant[3] ?? 1)), variant[4], variant[5], value)
      partIn(post.parts, 1)
      continue
    }
    const match = /^post-(\d+)(?:-part-(\d+)(?:-(image|alt)-(\d+))?)?$/.exec(key)
    if (!match) continue
    setField(partIn(postOf(Number(match[1])).parts, Number(match[2] ?? 1)), match[3], match[4], value)
  }
  const sorted = <T>(map: Map<number, T>) => [...map.entries()].sort(([a], [b]) => a - b).map(([, v]) => v)
  const partsOf = (parts: Map<number, FormPart>): PartInput[] => sorted(parts).map((p) => ({ text: p.text, images: sorted(p.images) }))
  const kept = (parts: PartInput[]) => (options.forSaving ? parts.filter((p) => p.text.trim() || p.images.length) : parts)
  const all: PostInput[] = [...posts.entries()]
    .sort(([a], [b]) => a - b)
    .map(([n, post]) => {
      const firstComment = comments.get(n)
      const variants = [...post.variants.entries()].map(([network, parts]) => [network, { parts: kept(partsOf(parts)) }] as const).filter(([, v]) => v.parts.length > 0)
      return {
        parts: partsOf(post.parts),
        ...(firstComment !== undefined && (firstComment.trim() || !options.forSaving) ? { firstComment } : {}),
        ...(variants.length ? { variants: Object.fromEntries(variants) } : {}),
      }
    })
  if (!options.forSaving) return all
  return all.flatMap((post): PostInput[] => {
    const parts = kept(post.parts)
    if (parts.length === 0) return []
    const extra = { ...(post.firstComment ? { firstComment: post.firstComment } : {}), ...(post.variants ? { variants: post.variants } : {}) }
    if (parts.length === 1 && parts[0]!.images.length === 0 && !post.firstComment && !post.variants) return splitPosts(parts[0]!.text).map((text) => ({ parts: [{ text, images: [] }] }))
    return [{ parts, ...extra }]
  })
}

/** The editor's form: posts (see postsFromForm), target accounts as checkboxes `account-<id>`. */
export const SeriesFormSchema = z.preprocess((raw) => {
  const form = raw as Record<string, string>
  const posts = postsFromForm(form, { forSaving: true })
  const accountIds = Object.keys(form)
    .filter((key) => key.startsWith('account-'))
    .map((key) => key.slice('account-'.length))
  // An unticked checkbox sends nothing: `shortLinksShown` says the form had it.
  const shortLinks = form.shortLinksShown ? form.shortLinks === 'on' : undefined
  return { name: form.name, posts, accountIds, rule: form.rule, start: form.start, timezone: form.timezone, shortLinks, campaign: form.campaign, evergreen: evergreenFromForm(form) }
}, SeriesInputSchema)

/**
 * The editor's "Evergreen" fields (decision 107): `evergreen` (checkbox), `evergreenMinGap` (whole days,
 * or an ISO 8601 duration such as P2W or PT12H) and `evergreenUntil` (local date-time). `evergreenShown`
 * says the form had them: without it, undefined (unchanged).
 */
export function evergreenFromForm(form: Record<string, string | undefined>): { minGap: string; until: string } | null | undefined {
  if (!form.evergreenShown) return undefined
  if (form.evergreen !== 'on') return null
  const gap = (form.evergreenMinGap ?? '').trim()
  return { minGap: /^\d+$/.test(gap) ? `P${Number(gap)}D` : gap.toUpperCase(), until: (form.evergreenUntil ?? '').trim() }
}


/** Paste many posts at once: a line holding only `---` separates them. */
export function splitPosts(text: string): string[] {
  return text
    .split(POST_SEPARATOR)
    .map((post) => post.trim())
    .filter((post) => post.length > 0)
}

// ─── The editor's live check ──────────────────────────────────────────────────────────────────────

const DraftPartsSchema = z.array(z.object({ text: z.string(), images: z.array(z.object({ mediaId: z.string(), alt: z.string() })) })).max(MAX_THREAD_PARTS)

export const DraftSchema = z.object({
  posts: z
    .array(
      z.object({
        parts: DraftPartsSchema,
        firstComment: z.string().optional(),
        variants: z.record(z.string().regex(NETWORK_KEY), z.object({ parts: DraftPartsSchema })).optional(),
      }),
    )
    .max(MAX_POSTS),
  accountIds: z.array(z.string()),
  rule: z.string(),
  start: z.string(),
  timezone: z.string(),
  seriesId: z.string().optional(),
  evergreen: z.object({ minGap: z.string(), until: z.string() }).nullable().optional(),
})

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
    evergreen: evergreenFromForm(form),
  }
}, DraftSchema)

// ─── Approval and the calendar ────────────────────────────────────────────────────────────────────

export const RequestChangesSchema = z.object({
  comment: z.string({ error: 'comment: say what should change' }).trim().min(1, { error: 'comment: say what should change' }).max(2000, { error: 'comment: at most 2000 characters' }),
})

/** The editor page's approval buttons (one form each). */
export const ApprovalActionSchema = z.discriminatedUnion('intent', [
  z.object({ intent: z.literal('submit') }),
  z.object({ intent: z.literal('approve') }),
  RequestChangesSchema.extend({ intent: z.literal('request-changes') }),
])

export const CalendarActionSchema = z.discriminatedUnion(
  'intent',
  [
    z.object({ intent: z.literal('move'), seriesId: z.uuid({ error: 'seriesId: not a series id' }), deliveryId: z.uuid({ error: 'deliveryId: not a post id' }), to: z.iso.datetime({ error: 'to: an ISO 8601 date-time like 2026-03-19T08:00:00Z', offset: true }) }),
    z.object({ intent: z.literal('skip-post'), seriesId: z.uuid({ error: 'seriesId: not a series id' }), deliveryId: z.uuid({ error: 'deliveryId: not a post id' }) }),
    z.object({ intent: z.literal('skip-date'), seriesId: z.uuid({ error: 'seriesId: not a series id' }), deliveryId: z.uuid({ error: 'deliveryId: not a post id' }) }),
  ],
  { error: "intent: 'move', 'skip-post' or 'skip-date'" },
)
