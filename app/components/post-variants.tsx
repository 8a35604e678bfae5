import { Badge, Button, Group, Image, SegmentedControl, Stack, Tabs, Text, Textarea, TextInput } from '@mantine/core'
import type { Counter, EditorPart, EditorPost } from './post-editor'
import { MediaPicker } from './media-picker'
import { ImageUpload } from './image-upload'

/** A network among the chosen accounts: its connector kind (the variant's key) and its name. */
export type EditorNetwork = { kind: string; name: string }

/** A variant's field name: `post-3-variant-linkedin` (part 1), `post-3-variant-linkedin-part-2`, … (core/series/schemas.ts postsFromForm). */
export function variantFieldName(n: number, kind: string, j: number): string {
  return j === 0 ? `post-${n}-variant-${kind}` : `post-${n}-variant-${kind}-part-${j + 1}`
}

const copyParts = (parts: EditorPart[]): EditorPart[] => parts.map((p) => ({ text: p.text, images: p.images.map((i) => ({ ...i })) }))

/**
 * A post's per-network variants (decision 098): one tab per network of the chosen accounts, each either
 * "Uses the main text" or "Custom" (its own text and images, starting as a copy of the main post). The
 * counters under a custom text are its network's own (the server's live check of the variant). Panels
 * stay mounted, so every custom variant is in the form whichever tab is open.
 */
export function PostVariants(props: {
  index: number
  post: EditorPost
  networks: EditorNetwork[]
  /** Per network with a variant: per part, per account on that network (the live check's `variantCounters`). */
  counters: Record<string, Counter[][]>
  errors: Record<string, string>
  /** For the upload button (the same route as the main post's images). */
  csrf?: string
  onChange: (post: EditorPost) => void
}) {
  const { index: i, post, networks } = props
  const n = i + 1
  // One network: its text is the main text. A variant kept for a chosen network stays shown (and sent).
  if (networks.length < 2 && !networks.some((net) => post.variants?.[net.kind])) return null
  const setVariant = (kind: string, parts: EditorPart[] | null) => {
    const variants = { ...post.variants }
    if (parts) variants[kind] = { parts }
    else delete variants[kind]
    props.onChange({ ...post, variants })
  }
  const errorFor = (prefix: string) => Object.entries(props.errors).find(([key]) => key === prefix || key.startsWith(`${prefix}.`))?.[1]
  return (
    <Tabs defaultValue={networks[0]!.kind} variant="outline">
      <Tabs.List aria-label={`Text of post ${n} per network`}>
        {networks.map((net) => (
          <Tabs.Tab key={net.kind} value={net.kind}>
            {`${net.name}${post.variants?.[net.kind] ? ' (custom)' : ''}`}
          </Tabs.Tab>
        ))}
      </Tabs.List>
      {networks.map((net) => {
        const variant = post.variants?.[net.kind]
        const counters = props.counters[net.kind] ?? []
        return (
          <Tabs.Panel key={net.kind} value={net.kind} pt="xs">
            <Stack gap={6}>
              <SegmentedControl
                size="xs"
                w="fit-content"
                aria-label={`Post ${n} on ${net.name}`}
                value={variant ? 'custom' : 'main'}
                data={[
                  { value: 'main', label: 'Uses the main text' },
                  { value: 'custom', label: 'Custom' },
                ]}
                onChange={(value) => setVariant(net.kind, value === 'custom' ? copyParts(post.parts) : null)}
              />
              {variant ? (
                variant.parts.map((part, j) => {
                  const label = `Post ${n}, ${net.name} variant${variant.parts.length > 1 ? `, part ${j + 1}` : ''}`
                  const lower = label.replace(/^Post/, 'post')
                  const setPart = (next: Partial<EditorPart>) => setVariant(net.kind, variant.parts.map((p, k) => (k === j ? { ...p, ...next } : p)))
                  const partCounters = counters[j] ?? []
                  return (
                    <Stack key={j} gap={4}>
                      <Textarea
                        label={label}
                        name={variantFieldName(n, net.kind, j)}
                        autosize
                        minRows={2}
                        value={part.text}
                        onChange={(e) => setPart({ text: e.currentTarget.value })}
                        error={errorFor(`posts.${i}.variants.${net.kind}.parts.${j}`) || (j === 0 ? props.errors[`posts.${i}.variants.${net.kind}`] : undefined) || partCounters.flatMap((c) => c.problems)[0]}
                      />
                      <Group gap="xs" role="group" aria-label={`Length of ${lower}`}>
                        {partCounters.map((c) => (
                          <Badge key={c.accountId} variant="light" color={c.problems.length ? 'red' : 'gray'}>
                            {c.network} @{c.handle}: {c.length}/{c.max}
                          </Badge>
                        ))}
                      </Group>
                      {part.images.map((image, k) => (
                        <Group key={`${image.mediaId}-${k}`} align="flex-end" gap="sm" wrap="nowrap">
                          <Image src={`/app/media/${image.mediaId}`} alt={image.alt} w={56} h={56} fit="cover" radius="sm" />
                          <input type="hidden" name={`post-${n}-variant-${net.kind}-part-${j + 1}-image-${k + 1}`} value={image.mediaId} />
                          <TextInput
                            style={{ flex: 1 }}
                            label={`Alt text for image ${k + 1} of ${lower}`}
                            name={`post-${n}-variant-${net.kind}-part-${j + 1}-alt-${k + 1}`}
                            required
                            value={image.alt}
                            error={errorFor(`posts.${i}.variants.${net.kind}.parts.${j}.images.${k}`)}
                            onChange={(e) => setPart({ images: part.images.map((im, x) => (x === k ? { ...im, alt: e.currentTarget.value } : im)) })}
                          />
                          <Button variant="subtle" color="red" onClick={() => setPart({ images: part.images.filter((_, x) => x !== k) })} aria-label={`Remove image ${k + 1} of ${lower}`}>
                            Remove image
                          </Button>
                        </Group>
                      ))}
                      {part.images.length < 4 ? (
                        <Group gap="xs" align="flex-start">
                          {props.csrf !== undefined ? <ImageUpload label={lower} csrf={props.csrf} onUploaded={(mediaId) => setPart({ images: [...part.images, { mediaId, alt: '' }] })} /> : null}
                          <MediaPicker label={lower} onPick={(image) => (part.images.some((i) => i.mediaId === image.mediaId) ? undefined : setPart({ images: [...part.images, image] }))} />
                        </Group>
                      ) : null}
                    </Stack>
                  )
                })
              ) : (
                <Text size="xs" c="dimmed">{`${net.name} publishes the main text of post ${n}.`}</Text>
              )}
            </Stack>
          </Tabs.Panel>
        )
      })}
    </Tabs>
  )
}
