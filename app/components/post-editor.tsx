import { Alert, Badge, Button, Group, Image, Paper, Progress, Stack, Text, Textarea, TextInput } from '@mantine/core'
import { useState } from 'react'
import { insertHashtags } from '#domain/hashtags'
import { accountName } from '~/utils/format'
import { PostVariants, type EditorNetwork } from './post-variants'
import { MediaPicker } from './media-picker'

export type EditorImage = { mediaId: string; alt: string }
export type EditorPart = { text: string; images: EditorImage[] }
export type EditorPost = {
  parts: EditorPart[]
  /** Posted as a reply right after the post (decision 091); undefined: none. */
  firstComment?: string
  /** Per network (connector kind): its own parts instead of the main ones (decision 098). */
  variants?: Record<string, { parts: EditorPart[] }>
}
export type HashtagGroup = { id: string; name: string; hashtags: string[] }
export type Counter = { accountId: string; handle: string; network: string; length: number; max: number; problems: string[] }

const MAX_IMAGES = 4

import { uploadImage } from './image-upload'

export { uploadImage }

/**
 * One post of a series: its text, or a thread of several parts, each with images (alt text required)
 * and a counter per target network from the server's live check. Field names follow the form the
 * server reads (core/series/schemas.ts postsFromForm).
 */
export function PostEditor(props: {
  index: number
  post: EditorPost
  counters: Counter[][]
  /** The networks of the chosen accounts, each of which may get its own variant of the post (decision 098). */
  networks?: EditorNetwork[]
  /** The live check's counters of this post's variants, per network. */
  variantCounters?: Record<string, Counter[][]>
  errors: Record<string, string>
  csrf: string
  canRemove: boolean
  hashtagGroups: HashtagGroup[]
  onChange: (post: EditorPost) => void
  onTextChange: (text: string) => void
  onRemove: () => void
}) {
  const { index: i, post } = props
  const n = i + 1
  const [uploadError, setUploadError] = useState<Record<number, string>>({})
  const [uploading, setUploading] = useState<number | null>(null)
  const [progress, setProgress] = useState<{ fileName: string; fraction: number } | null>(null)
  const setPart = (j: number, next: Partial<EditorPart>) => props.onChange({ ...post, parts: post.parts.map((p, k) => (k === j ? { ...p, ...next } : p)) })
  const thread = post.parts.length > 1
  const errorFor = (prefix: string) => Object.entries(props.errors).find(([key]) => key === prefix || key.startsWith(`${prefix}.`))?.[1]

  async function onFile(j: number, input: HTMLInputElement) {
    const file = input.files?.[0]
    if (!file) return
    setUploading(j)
    setProgress({ fileName: file.name, fraction: 0 })
    const result = await uploadImage(file, props.csrf, (fraction) => setProgress({ fileName: file.name, fraction }))
    setUploading(null)
    setProgress(null)
    input.value = ''
    if (!result.ok) return setUploadError((e) => ({ ...e, [j]: result.error }))
    setUploadError((e) => ({ ...e, [j]: '' }))
    setPart(j, { images: [...post.parts[j]!.images, { mediaId: result.mediaId, alt: '' }] })
  }

  return (
    <Paper withBorder p="sm" component="section" aria-label={`Post ${n} with its thread and images`}>
      <Stack gap="xs">
        {post.parts.map((part, j) => {
          const label = j === 0 ? `Post ${n}` : `Post ${n}, part ${j + 1}`
          const name = j === 0 ? `post-${n}` : `post-${n}-part-${j + 1}`
          const counters = props.counters[j] ?? []
          const problem = counters.flatMap((c) => c.problems.map((p) => `${accountName(c)}: ${p}`))[0]
          return (
            <Stack key={j} gap={4}>
              <Textarea
                label={label}
                name={name}
                autosize
                minRows={2}
                value={part.text}
                onChange={(e) => (j === 0 && !thread && part.images.length === 0 && post.firstComment === undefined && !post.variants ? props.onTextChange(e.currentTarget.value) : setPart(j, { text: e.currentTarget.value }))}
                error={(j === 0 && props.errors[`posts.${i}`]) || errorFor(`posts.${i}.parts.${j}`) || problem}
              />
              <Group gap="xs" role="group" aria-label={`Length of ${label.toLowerCase()}`}>
                {counters.map((c) => (
                  <Badge key={c.accountId} variant="light" color={c.problems.length ? 'red' : 'gray'}>
                    {c.network} @{c.handle}: {c.length}/{c.max}
                  </Badge>
                ))}
              </Group>
              {part.images.map((image, k) => (
                <Group key={image.mediaId} align="flex-end" gap="sm" wrap="nowrap">
                  <Image src={`/app/media/${image.mediaId}`} alt={image.alt} w={72} h={72} fit="cover" radius="sm" />
                  <input type="hidden" name={`post-${n}-part-${j + 1}-image-${k + 1}`} value={image.mediaId} />
                  <TextInput
                    style={{ flex: 1 }}
                    label={`Alt text for image ${k + 1} of ${label.toLowerCase()}`}
                    description="Describe the image for people who cannot see it."
                    name={`post-${n}-part-${j + 1}-alt-${k + 1}`}
                    required
                    value={image.alt}
                    error={errorFor(`posts.${i}.parts.${j}.images.${k}`)}
                    onChange={(e) => setPart(j, { images: part.images.map((im, x) => (x === k ? { ...im, alt: e.currentTarget.value } : im)) })}
                  />
                  <Button variant="subtle" color="red" onClick={() => setPart(j, { images: part.images.filter((_, x) => x !== k) })} aria-label={`Remove image ${k + 1} of ${label.toLowerCase()}`}>
                    Remove image
                  </Button>
                </Group>
              ))}
              <Group gap="xs">
                {part.images.length < MAX_IMAGES ? (
                  <Text component="label" size="sm">
                    {uploading === j ? 'Uploading… ' : `Add an image to ${label.toLowerCase()} `}
                    <input type="file" accept="image/jpeg,image/png,image/gif,image/webp,video/mp4,video/quicktime" onChange={(e) => void onFile(j, e.currentTarget)} />
                  </Text>
                ) : null}
                {part.images.length < MAX_IMAGES ? <MediaPicker label={label.toLowerCase()} onPick={(image) => (part.images.some((i) => i.mediaId === image.mediaId) ? undefined : setPart(j, { images: [...part.images, image] }))} /> : null}
                {j > 0 ? (
                  <Button size="compact-sm" variant="subtle" color="red" onClick={() => props.onChange({ ...post, parts: post.parts.filter((_, k) => k !== j) })} aria-label={`Remove part ${j + 1} of post ${n}`}>
                    Remove part
                  </Button>
                ) : null}
              </Group>
              {uploading === j && progress ? (
                <Progress value={Math.round(progress.fraction * 100)} size="sm" aria-label={`Uploading ${progress.fileName}: ${Math.round(progress.fraction * 100)}%`} />
              ) : null}
              {uploadError[j] ? (
                <Alert color="red" role="alert" p="xs">
                  {uploadError[j]}
                </Alert>
              ) : null}
            </Stack>
          )
        })}
        <PostVariants index={i} post={post} networks={props.networks ?? []} counters={props.variantCounters ?? {}} errors={props.errors} csrf={props.csrf} onChange={props.onChange} />
        {props.hashtagGroups.length > 0 ? (
          <Group gap={6} role="group" aria-label={`Hashtag groups for post ${n}`}>
            <Text size="xs" c="dimmed">Hashtags:</Text>
            {props.hashtagGroups.map((group) => (
              <Button
                key={group.id}
                size="compact-xs"
                variant="light"
                title={group.hashtags.join(' ')}
                aria-label={`Add hashtag group ${group.name} (${group.hashtags.join(' ')}) to post ${n}`}
                onClick={() => {
                  const last = post.parts.length - 1
                  props.onChange({ ...post, parts: post.parts.map((p, k) => (k === last ? { ...p, text: insertHashtags(p.text, group.hashtags) } : p)) })
                }}
              >
                {group.name}
              </Button>
            ))}
          </Group>
        ) : null}
        {post.firstComment !== undefined ? (
          <Stack gap={4}>
            <Textarea
              label={`First comment on post ${n}`}
              description="Posted as a reply right after the post."
              name={`post-${n}-comment`}
              autosize
              minRows={1}
              value={post.firstComment}
              onChange={(e) => props.onChange({ ...post, firstComment: e.currentTarget.value })}
              error={errorFor(`posts.${i}.firstComment`) || (props.counters[post.parts.length] ?? []).flatMap((c) => c.problems.map((p) => `${accountName(c)}: ${p}`))[0]}
            />
            <Group gap="xs" role="group" aria-label={`Length of the first comment on post ${n}`}>
              {(post.firstComment ? (props.counters[post.parts.length] ?? []) : []).map((c) => (
                <Badge key={c.accountId} variant="light" color={c.problems.length ? 'red' : 'gray'}>
                  {c.network} @{c.handle}: {c.length}/{c.max}
                </Badge>
              ))}
            </Group>
          </Stack>
        ) : null}
        <Group gap="xs">
          <Button size="compact-sm" variant="default" onClick={() => props.onChange({ ...post, parts: [...post.parts, { text: '', images: [] }] })} aria-label={`Add a part to the thread of post ${n}`}>
            Add to thread
          </Button>
          {post.firstComment === undefined ? (
            <Button size="compact-sm" variant="default" onClick={() => props.onChange({ ...post, firstComment: '' })} aria-label={`Add a first comment to post ${n}`}>
              Add first comment
            </Button>
          ) : (
            <Button size="compact-sm" variant="subtle" color="red" onClick={() => props.onChange({ parts: post.parts, ...(post.variants ? { variants: post.variants } : {}) })} aria-label={`Remove the first comment of post ${n}`}>
              Remove first comment
            </Button>
          )}
          {props.canRemove ? (
            <Button size="compact-sm" variant="subtle" color="red" onClick={props.onRemove} aria-label={`Remove post ${n}`}>
              Remove post
            </Button>
          ) : null}
        </Group>
      </Stack>
    </Paper>
  )
}
