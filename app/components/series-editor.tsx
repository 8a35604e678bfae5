import { Alert, Button, Checkbox, Group, List, Stack, Text, TextInput, Title } from '@mantine/core'
import { Form, Link, useMatches, useNavigation } from '@remix-run/react'
import { useEffect, useState } from 'react'
import { usePreview } from '~/utils/use-preview'
import { CsrfInput } from './csrf-input'
import { PostEditor, type Counter, type EditorPost, type HashtagGroup } from './post-editor'
import { SeriesImport } from './series-import'
import { RecurrenceField, type RecurrencePreview } from './recurrence-field'
import { EVERGREEN_OFF, EvergreenField, evergreenFields, type EvergreenValue } from './evergreen-field'
import { ONCE_RULE, QueueButton } from './queue-button'
import { NetworkPreview, type PreviewTarget } from './network-preview'
import type { EditorNetwork } from './post-variants'
import { accountName } from '~/utils/format'

export type EditorAccount = { id: string; handle: string; network: string; status: string; /** The connector kind: a post's variant for this network is keyed by it (decision 098). */ kind?: string }
export type EditorValues = { name: string; posts: EditorPost[]; accountIds: string[]; rule: string; start: string; timezone: string; shortLinks?: boolean; campaign?: string | null; evergreen?: EvergreenValue }
type Check = { preview: RecurrencePreview; counters: Counter[][][]; variantCounters?: Array<Record<string, Counter[][]>>; warnings: string[]; targets: PreviewTarget[] }

const SEPARATOR = /^\s*---\s*$/m

/** Split pasted text on lines holding only `---` (one post each). */
function explode(text: string): EditorPost[] {
  const texts = SEPARATOR.test(text) ? text.split(SEPARATOR).map((x) => x.trim()).filter(Boolean) : [text]
  return (texts.length ? texts : ['']).map((t) => ({ parts: [{ text: t, images: [] }] }))
}

/** The editor's values as the form fields the server reads (postsFromForm); variants only for `networks` (the chosen accounts'). */
export function postFields(posts: EditorPost[], networks?: ReadonlySet<string>): Record<string, string> {
  const form: Record<string, string> = {}
  posts.forEach((post, i) => {
    if (post.firstComment !== undefined) form[`post-${i + 1}-comment`] = post.firstComment
    const fields = (prefix: string, parts: EditorPost['parts']) =>
      parts.forEach((part, j) => {
        form[j === 0 ? prefix : `${prefix}-part-${j + 1}`] = part.text
        part.images.forEach((image, k) => {
          form[`${prefix}-part-${j + 1}-image-${k + 1}`] = image.mediaId
          form[`${prefix}-part-${j + 1}-alt-${k + 1}`] = image.alt
        })
      })
    fields(`post-${i + 1}`, post.parts)
    for (const [kind, variant] of Object.entries(post.variants ?? {})) if (!networks || networks.has(kind)) fields(`post-${i + 1}-variant-${kind}`, variant.parts)
  })
  return form
}

/** The networks of the chosen accounts, once each, in the accounts' order. */
function chosenNetworks(accounts: EditorAccount[], accountIds: string[]): EditorNetwork[] {
  const seen = new Map<string, EditorNetwork>()
  for (const a of accounts) if (a.kind && accountIds.includes(a.id) && !seen.has(a.kind)) seen.set(a.kind, { kind: a.kind, name: a.network })
  return [...seen.values()]
}

/**
 * The series editor (new and edit): name, posts with per-network counters, target accounts, and the
 * recurrence field. Every change asks /app/series/check (debounced) for the preview, the counters and
 * the warnings, computed with the same validation that saving and publishing use.
 */
export function SeriesEditor(props: {
  initial: EditorValues
  accounts: EditorAccount[]
  timezones: string[]
  /** The workspace's hashtag groups (decision 091), each added to a post with one click. */
  hashtagGroups?: HashtagGroup[]
  errors: Record<string, string>
  submitLabel: string
  seriesId?: string
}) {
  const [values, setValues] = useState(props.initial)
  // A saved form's errors stand until the field they name is edited: a fixed rule no longer shows the old
  // message (issue 20: a stale RRULE error stayed on screen). New errors from the next save show again.
  const [edited, setEdited] = useState<ReadonlySet<string>>(new Set())
  const errorsKey = JSON.stringify(props.errors)
  useEffect(() => setEdited(new Set()), [errorsKey])
  const errors = Object.fromEntries(Object.entries(props.errors).filter(([field]) => !edited.has(field.split('.')[0]!)))
  const check = usePreview<Check>('/app/series/check')
  const navigation = useNavigation()
  const csrf =
    useMatches()
      .map((m) => (m.data as { csrfToken?: unknown } | undefined)?.csrfToken)
      .findLast((v): v is string => typeof v === 'string') ?? ''

  useEffect(() => {
    const timer = setTimeout(() => {
      const kinds = new Set(chosenNetworks(props.accounts, values.accountIds).map((net) => net.kind))
      const form: Record<string, string> = { csrf, rule: values.rule, start: values.start, timezone: values.timezone, seriesId: props.seriesId ?? '', ...evergreenFields(values.evergreen ?? EVERGREEN_OFF), ...postFields(values.posts, kinds) }
      values.accountIds.forEach((id) => (form[`account-${id}`] = 'on'))
      check.submit(form)
    }, 250)
    return () => clearTimeout(timer)
  }, [values.posts, values.accountIds, values.rule, values.start, values.timezone, values.evergreen])

  const set = (next: Partial<EditorValues>) => {
    setValues((v) => ({ ...v, ...next }))
    const fields = Object.keys(next).flatMap((key) => (key === 'accountIds' ? ['accountIds', 'account'] : [key]))
    setEdited((before) => (fields.every((f) => before.has(f)) ? before : new Set([...before, ...fields])))
  }
  const setPostText = (i: number, text: string) => set({ posts: values.posts.flatMap((p, j) => (j === i ? explode(text) : [p])) })
  const setPost = (i: number, post: EditorPost) => set({ posts: values.posts.map((p, j) => (j === i ? post : p)) })
  const result = check.data
  const networks = chosenNetworks(props.accounts, values.accountIds)
  const previewErrorFor = (field: string) => (result?.preview && 'error' in result.preview && result.preview.field === field ? result.preview.error : undefined)

  return (
    <Form method="post" aria-label="Series">
      <CsrfInput />
      <Stack gap="lg">
        {Object.keys(errors).length > 0 ? (
          <Alert color="red" role="alert" title="The series was not saved">
            <List size="sm">
              {Object.entries(errors).map(([field, message]) => (
                <List.Item key={field}>{message}</List.Item>
              ))}
            </List>
          </Alert>
        ) : null}
        <TextInput label="Name" name="name" required value={values.name} onChange={(e) => set({ name: e.currentTarget.value })} error={errors.name} />

        <Stack gap="sm" component="fieldset" style={{ border: 0, padding: 0, margin: 0 }}>
          <Title order={2} size="h3" component="legend">
            Accounts
          </Title>
          {props.accounts.length === 0 ? (
            <Text>
              No accounts yet. <Link to="/app/accounts">Connect an account</Link> first.
            </Text>
          ) : (
            props.accounts.map((account) => (
              <Checkbox
                key={account.id}
                name={`account-${account.id}`}
                label={`${accountName(account)} (${account.network})${account.status === 'connected' ? '' : ' — needs reconnecting'}`}
                checked={values.accountIds.includes(account.id)}
                onChange={(e) =>
                  set({ accountIds: e.currentTarget.checked ? [...values.accountIds, account.id] : values.accountIds.filter((id) => id !== account.id) })
                }
              />
            ))
          )}
          {errors.accountIds ? <Text c="red" size="sm">{errors.accountIds}</Text> : null}
        </Stack>

        <Stack gap="sm" component="fieldset" style={{ border: 0, padding: 0, margin: 0 }}>
          <Title order={2} size="h3" component="legend">
            Posts ({values.posts.filter((p) => p.parts.some((part) => part.text.trim() || part.images.length)).length})
          </Title>
          <Text size="sm" c="dimmed">
            Post k goes out on date k. Paste many posts at once by separating them with a line holding only ---. “Add to thread” makes a post a
            thread: each part is published as a reply to the one before. <Link to="/app/series/hashtags">Hashtag groups</Link> add saved hashtags with one click; the{' '}
            <Link to="/app/series/media">media library</Link> keeps uploaded images and their alt text for reuse. With several networks chosen, a post can have its own
            text per network.
          </Text>
          {values.posts.map((post, i) => (
            <PostEditor
              key={i}
              index={i}
              post={post}
              counters={result?.counters[i] ?? []}
              networks={networks}
              variantCounters={result?.variantCounters?.[i] ?? {}}
              errors={errors}
              csrf={csrf}
              canRemove={values.posts.length > 1}
              hashtagGroups={props.hashtagGroups ?? []}
              onChange={(next) => setPost(i, next)}
              onTextChange={(text) => setPostText(i, text)}
              onRemove={() => set({ posts: values.posts.filter((_, j) => j !== i) })}
            />
          ))}
          <SeriesImport
            csrf={csrf}
            accountIds={values.accountIds}
            onAccept={(posts) => {
              const kept = values.posts.filter((p) => p.parts.some((part) => part.text.trim() || part.images.length))
              set({ posts: [...kept, ...posts] })
            }}
          />
          <Group>
            <Button variant="default" onClick={() => set({ posts: [...values.posts, { parts: [{ text: '', images: [] }] }] })}>
              Add post
            </Button>
          </Group>
        </Stack>

        <NetworkPreview
          posts={values.posts}
          targets={(result?.targets ?? []).filter((t) => values.accountIds.includes(t.accountId))}
          counters={result?.counters ?? []}
          variantCounters={result?.variantCounters ?? []}
        />

        <Stack gap={4}>
          <input type="hidden" name="shortLinksShown" value="1" />
          <Checkbox
            name="shortLinks"
            label="Short links with UTM parameters"
            description="Links in the posts go out as short links of this Trickle (counted per network and post) that lead to the link with utm_source, utm_medium, utm_campaign and utm_content."
            checked={values.shortLinks ?? true}
            onChange={(e) => set({ shortLinks: e.currentTarget.checked })}
          />
        </Stack>

        <TextInput
          label="Campaign (optional)"
          description="Give a series and a drip the same campaign name to see one funnel across social posts and email under Analytics."
          name="campaign"
          maw={360}
          value={values.campaign ?? ''}
          onChange={(e) => set({ campaign: e.currentTarget.value })}
          error={errors.campaign}
        />

        <QueueButton
          csrf={csrf}
          accountIds={values.accountIds}
          timezone={values.timezone}
          seriesId={props.seriesId}
          postCount={values.posts.length}
          onSlot={(slot) => set({ start: slot.local, rule: ONCE_RULE })}
        />
        <RecurrenceField
          rule={values.rule}
          start={values.start}
          timezone={values.timezone}
          timezones={props.timezones}
          preview={result?.preview ?? null}
          errors={errors}
          onChange={set}
        >
          <EvergreenField
            value={values.evergreen ?? EVERGREEN_OFF}
            errors={{
              'evergreen.minGap': errors['evergreen.minGap'] ?? previewErrorFor('evergreen.minGap'),
              'evergreen.until': errors['evergreen.until'] ?? previewErrorFor('evergreen.until'),
              evergreen: errors.evergreen,
            }}
            onChange={(evergreen) => set({ evergreen })}
          />
        </RecurrenceField>

        {result && result.warnings.length > 0 ? (
          <Alert color="yellow" title="Check before saving" role="status">
            <List size="sm">
              {result.warnings.map((w) => (
                <List.Item key={w}>{w}</List.Item>
              ))}
            </List>
          </Alert>
        ) : null}
        <Group>
          <Button type="submit" loading={navigation.state === 'submitting'}>
            {props.submitLabel}
          </Button>
        </Group>
      </Stack>
    </Form>
  )
}
