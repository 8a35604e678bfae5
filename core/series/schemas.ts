/**
 * The zod input schemas of a series, shared by the editor's forms and the API (one schema per form),
 * and the post shape they produce. Pure: no database, no services.
 */
import { z } from 'zod'
import { CampaignSchema } from '../../domain/campaign'
import { lineSchema } from '../../domain/text'
import type { StepContent } from '../../db/schema/index'
import { planSeries, SeriesTimingSchema } from '../../domain/recurrence/index'
import { planningTiming } from './timing'

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
    .describe('A post: { parts } (a thread; images need alt text), and an optional firstComment posted as a reply right after it. A plain string is accepted as a one-part post without images.'),
)
export type PostInput = { parts: Array<{ text: string; images: Array<{ mediaId: string; alt: string }> }>; firstComment?: string }

/** The post's parts as published: its thread, then its first comment as one more reply (decision 091). */
export function publishedParts(post: PostInput): PostInput['parts'] {
  return post.firstComment ? [...post.parts, { text: post.firstComment, images: [] }] : post.parts
}

/**
 * What a step stores for a post (no empty image lists). A first comment is stored as the thread's last
 * part, flagged `firstComment`, so publishing, resuming, reconciling and short links treat it as a reply.
 */
export function toStepContent(post: PostInput): StepContent {
  const parts = publishedParts(post).map((p) => (p.images.length ? { text: p.text, images: p.images.map((i) => ({ mediaId: i.mediaId, alt: i.alt })) } : { text: p.text }))
  return post.firstComment ? { parts, firstComment: true } : { parts }
}
export function fromStepContent(content: StepContent): PostInput {
  const parts = content.parts.map((p) => ({ text: p.text, images: (p.images ?? []).map((i) => ({ mediaId: i.mediaId, alt: i.alt })) }))
  if (!content.firstComment || parts.length < 2) return { parts }
  return { parts: parts.slice(0, -1), firstComment: parts.at(-1)!.text }
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
  })
  .strict()
  .superRefine((value, ctx) => {
    const timing = SeriesTimingSchema.safeParse(planningTiming({ rule: value.rule, start: value.start, timezone: value.timezone, exdates: [], rdates: [] }, value.posts.length))
    if (timing.success) {
      // The rule's own check works on wall times; a UTC UNTIL before the start leaves no date at all.
      if (planSeries({ timing: timing.data, stepCount: Math.max(1, value.posts.length), limit: 1 }).length === 0)
        ctx.addIssue({ code: 'custom', path: ['rule'], message: 'rule: produces no dates from start on (is its UNTIL before the start?)' })
      return
    }
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
  const comments = new Map<number, string>()
  const partOf = (n: number, m: number) => {
    const parts = posts.get(n) ?? new Map()
    posts.set(n, parts)
    const part = parts.get(m) ?? { text: '', images: new Map() }
    parts.set(m, part)
    return part
  }
  for (const [key, value] of Object.entries(form)) {
    if (typeof value !== 'string') continue
    const comment = /^post-(\d+)-comment$/.exec(key)
    if (comment) {
      comments.set(Number(comment[1]), value)
      partOf(Number(comment[1]), 1)
      continue
    }
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
  const all: PostInput[] = [...posts.entries()]
    .sort(([a], [b]) => a - b)
    .map(([n, parts]) => {
      const firstComment = comments.get(n)
      return { parts: sorted(parts).map((p) => ({ text: p.text, images: sorted(p.images) })), ...(firstComment !== undefined && (firstComment.trim() || !options.forSaving) ? { firstComment } : {}) }
    })
  if (!options.forSaving) return all
  return all.flatMap((post): PostInput[] => {
    const parts = post.parts.filter((p) => p.text.trim() || p.images.length)
    if (parts.length === 0) return []
    const comment = post.firstComment ? { firstComment: post.firstComment } : {}
    if (parts.length === 1 && parts[0]!.images.length === 0 && !post.firstComment) return splitPosts(parts[0]!.text).map((text) => ({ parts: [{ text, images: [] }] }))
    return [{ parts, ...comment }]
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
  return { name: form.name, posts, accountIds, rule: form.rule, start: form.start, timezone: form.timezone, shortLinks, campaign: form.campaign }
}, SeriesInputSchema)

/** Paste many posts at once: a line holding only `---` separates them. */
export function splitPosts(text: string): string[] {
  return text
    .split(POST_SEPARATOR)
    .map((post) => post.trim())
    .filter((post) => post.length > 0)
}

// ─── The editor's live check ──────────────────────────────────────────────────────────────────────

export const DraftSchema = z.object({
  posts: z
    .array(z.object({ parts: z.array(z.object({ text: z.string(), images: z.array(z.object({ mediaId: z.string(), alt: z.string() })) })).max(MAX_THREAD_PARTS), firstComment: z.string().optional() }))
    .max(MAX_POSTS),
  accountIds: z.array(z.string()),
  rule: z.string(),
  start: z.string(),
  timezone: z.string(),
  seriesId: z.string().optional(),
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
