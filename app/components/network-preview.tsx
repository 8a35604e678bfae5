import { Avatar, Badge, Box, Group, Image, List, Paper, SimpleGrid, Stack, Tabs, Text, Title } from '@mantine/core'
import { useState } from 'react'
import { accountName } from '~/utils/format'
import type { Counter, EditorPart, EditorPost } from './post-editor'

/** A chosen account as the live check describes it (core/series/draft-check.server.ts PreviewTarget). */
export type PreviewTarget = { accountId: string; kind: string; handle: string; displayName: string | null; network: string; look: { layout: 'card' | 'message'; linkCard: boolean } }

/** Posts previewed per network: enough to check a series' start, without rendering a thousand cards. */
const MAX_PREVIEWED = 10
const URL_RE = /(https?:\/\/[^\s]+)/g

function initials(target: PreviewTarget): string {
  const name = (target.displayName ?? target.handle).replace(/^[@#]/, '')
  return name.split(/[\s._-]+/).filter(Boolean).slice(0, 2).map((w) => w[0]!.toUpperCase()).join('') || '?'
}

/** The text with its links shown as links are (not clickable: a preview links nowhere). */
function RichText(props: { text: string }) {
  if (!props.text.trim()) return <Text c="dimmed" fs="italic" size="sm">(no text)</Text>
  return (
    <Text size="sm" style={{ whiteSpace: 'pre-wrap', overflowWrap: 'anywhere' }}>
      {props.text.split(URL_RE).map((chunk, i) => (i % 2 === 1 ? <Text span key={i} c="blue" size="sm">{chunk}</Text> : chunk))}
    </Text>
  )
}

function LinkCard(props: { text: string }) {
  const url = props.text.match(URL_RE)?.[0]
  if (!url) return null
  let host: string
  try {
    host = new URL(url).host
  } catch {
    return null
  }
  return (
    <Paper withBorder p="xs" radius="md" aria-label={`Link card for ${host}`}>
      <Text size="xs" c="dimmed">{host}</Text>
      <Text size="sm" fw={500}>Card with the page’s title and image</Text>
    </Paper>
  )
}

function Images(props: { part: EditorPart }) {
  if (props.part.images.length === 0) return null
  return (
    <SimpleGrid cols={Math.min(2, props.part.images.length)} spacing={4}>
      {props.part.images.map((image) => (
        <Image key={image.mediaId} src={`/app/media/${image.mediaId}`} alt={image.alt} h={120} fit="cover" radius="sm" />
      ))}
    </SimpleGrid>
  )
}

function Count(props: { counter: Counter | undefined }) {
  const c = props.counter
  if (!c) return null
  return (
    <Stack gap={2}>
      <Badge variant="light" color={c.problems.length ? 'red' : 'gray'} w="fit-content">
        {c.length}/{c.max}
      </Badge>
      {c.problems.length ? (
        <List size="xs" c="red">
          {c.problems.map((p) => (
            <List.Item key={p}>{p}</List.Item>
          ))}
        </List>
      ) : null}
    </Stack>
  )
}

/** One post (a thread: its parts, each a reply to the one before) as `target`'s network shows it. */
function PostPreview(props: { target: PreviewTarget; post: EditorPost; index: number; counters: Counter[][] }) {
  const { target } = props
  // The network's own variant when the post has one (decision 098); the first comment is shared.
  const variant = props.post.variants?.[target.kind]
  const post: EditorPost = variant && variant.parts.length ? { parts: variant.parts, firstComment: props.post.firstComment } : props.post
  const name = target.displayName ?? accountName(target)
  const card = target.look.layout === 'card'
  // The first comment goes out as one more reply, right after the post.
  const shown = post.firstComment ? [...post.parts, { text: post.firstComment, images: [] }] : post.parts
  return (
    <Paper withBorder p="sm" radius="md" component="article" aria-label={`Post ${props.index + 1} on ${target.network} as ${accountName(target)}`}>
      <Stack gap="sm">
        {shown.map((part, j) => {
          const counter = props.counters[j]?.find((c) => c.accountId === target.accountId)
          const comment = post.firstComment && j === post.parts.length
          return (
            <Group key={j} align="flex-start" wrap="nowrap" gap="sm">
              {card ? (
                <Stack gap={0} align="center" style={{ alignSelf: 'stretch' }}>
                  <Avatar radius="xl" color="teal" aria-hidden>
                    {initials(target)}
                  </Avatar>
                  {j < shown.length - 1 ? <Box style={{ flex: 1, width: 2, background: 'var(--mantine-color-gray-4)', marginTop: 4 }} aria-hidden /> : null}
                </Stack>
              ) : null}
              <Stack gap={4} style={{ flex: 1, minWidth: 0 }}>
                <Group gap={6}>
                  <Text size="sm" fw={700}>{card ? name : accountName(target)}</Text>
                  {card && target.displayName ? <Text size="sm" c="dimmed">{accountName(target)}</Text> : null}
                  {comment ? <Text size="xs" c="dimmed">First comment</Text> : post.parts.length > 1 ? <Text size="xs" c="dimmed">{`${j + 1}/${post.parts.length}`}</Text> : null}
                </Group>
                <RichText text={part.text} />
                <Images part={part} />
                {target.look.linkCard && part.images.length === 0 ? <LinkCard text={part.text} /> : null}
                <Count counter={counter} />
              </Stack>
            </Group>
          )
        })}
      </Stack>
    </Paper>
  )
}

/**
 * The posts as each chosen account's network will show them (decision 091): a tab per account; a social
 * card (avatar, name, handle, thread line, link card where the network makes one) or a plain message;
 * the text and images live from the editor, the counts and problems from the server's check, which runs
 * each connector's own `validate` and counting (the code publishing uses).
 */
export function NetworkPreview(props: { posts: EditorPost[]; targets: PreviewTarget[]; counters: Counter[][][]; variantCounters?: Array<Record<string, Counter[][]>> }) {
  const [chosen, setChosen] = useState<string | null>(null)
  const active = props.targets.find((t) => t.accountId === chosen)?.accountId ?? props.targets[0]?.accountId ?? null
  const posts = props.posts.filter((p) => p.parts.some((part) => part.text.trim() || part.images.length))
  return (
    <Stack gap="sm" component="section" aria-labelledby="network-preview">
      <Title order={2} size="h3" id="network-preview">
        Preview
      </Title>
      {props.targets.length === 0 || posts.length === 0 ? (
        <Text size="sm" c="dimmed">Write a post and choose an account to see how it will look.</Text>
      ) : (
        <Tabs value={active} onChange={setChosen} keepMounted={false}>
          <Tabs.List aria-label="Preview on">
            {props.targets.map((t) => (
              <Tabs.Tab key={t.accountId} value={t.accountId}>
                {`${t.network} ${accountName(t)}`}
              </Tabs.Tab>
            ))}
          </Tabs.List>
          {props.targets.map((t) => (
            <Tabs.Panel key={t.accountId} value={t.accountId} pt="sm">
              <Stack gap="sm" maw={560}>
                {posts.slice(0, MAX_PREVIEWED).map((post) => {
                  const index = props.posts.indexOf(post)
                  const counters = props.variantCounters?.[index]?.[t.kind] ?? props.counters[index] ?? []
                  return <PostPreview key={index} target={t} post={post} index={index} counters={counters} />
                })}
                {posts.length > MAX_PREVIEWED ? <Text size="sm" c="dimmed">{`And ${posts.length - MAX_PREVIEWED} more posts.`}</Text> : null}
              </Stack>
            </Tabs.Panel>
          ))}
        </Tabs>
      )}
    </Stack>
  )
}
