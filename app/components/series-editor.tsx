import { Alert, Badge, Button, Checkbox, Group, List, Stack, Text, Textarea, TextInput, Title } from '@mantine/core'
import { Form, Link, useFetcher, useMatches, useNavigation } from '@remix-run/react'
import { useEffect, useState } from 'react'
import { CsrfInput } from './csrf-input'
import { RecurrenceField, type RecurrencePreview } from './recurrence-field'

export type EditorAccount = { id: string; handle: string; network: string; status: string }
export type EditorValues = { name: string; posts: string[]; accountIds: string[]; rule: string; start: string; timezone: string }
type Counter = { accountId: string; handle: string; network: string; length: number; max: number; problems: string[] }
type Check = { preview: RecurrencePreview; counters: Counter[][]; warnings: string[] }

const SEPARATOR = /^\s*---\s*$/m

/** Split pasted text on lines holding only `---` (one post each). */
function explode(posts: string[]): string[] {
  return posts.flatMap((p) => (SEPARATOR.test(p) ? p.split(SEPARATOR).map((x) => x.trim()).filter(Boolean) : [p]))
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
  errors: Record<string, string>
  submitLabel: string
  seriesId?: string
}) {
  const [values, setValues] = useState(props.initial)
  const check = useFetcher<Check>()
  const navigation = useNavigation()
  const csrf =
    useMatches()
      .map((m) => (m.data as { csrfToken?: unknown } | undefined)?.csrfToken)
      .findLast((v): v is string => typeof v === 'string') ?? ''

  useEffect(() => {
    const timer = setTimeout(() => {
      const form: Record<string, string> = { csrf, rule: values.rule, start: values.start, timezone: values.timezone, seriesId: props.seriesId ?? '' }
      values.posts.forEach((p, i) => (form[`post-${i + 1}`] = p))
      values.accountIds.forEach((id) => (form[`account-${id}`] = 'on'))
      check.submit(form, { method: 'post', action: '/app/series/check' })
    }, 250)
    return () => clearTimeout(timer)
  }, [values.posts, values.accountIds, values.rule, values.start, values.timezone])

  const set = (next: Partial<EditorValues>) => setValues((v) => ({ ...v, ...next }))
  const setPost = (i: number, text: string) => set({ posts: explode(values.posts.map((p, j) => (j === i ? text : p))) })
  const result = check.data

  return (
    <Form method="post" aria-label="Series">
      <CsrfInput />
      <Stack gap="lg">
        {Object.keys(props.errors).length > 0 ? (
          <Alert color="red" role="alert" title="The series was not saved">
            <List size="sm">
              {Object.entries(props.errors).map(([field, message]) => (
                <List.Item key={field}>{message}</List.Item>
              ))}
            </List>
          </Alert>
        ) : null}
        <TextInput label="Name" name="name" required value={values.name} onChange={(e) => set({ name: e.currentTarget.value })} error={props.errors.name} />

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
                label={`@${account.handle} (${account.network})${account.status === 'connected' ? '' : ' — needs reconnecting'}`}
                checked={values.accountIds.includes(account.id)}
                onChange={(e) =>
                  set({ accountIds: e.currentTarget.checked ? [...values.accountIds, account.id] : values.accountIds.filter((id) => id !== account.id) })
                }
              />
            ))
          )}
          {props.errors.accountIds ? <Text c="red" size="sm">{props.errors.accountIds}</Text> : null}
        </Stack>

        <Stack gap="sm" component="fieldset" style={{ border: 0, padding: 0, margin: 0 }}>
          <Title order={2} size="h3" component="legend">
            Posts ({values.posts.filter((p) => p.trim()).length})
          </Title>
          <Text size="sm" c="dimmed">
            Post k goes out on date k. Paste many posts at once by separating them with a line holding only ---.
          </Text>
          {values.posts.map((post, i) => {
            const counters = result?.counters[i] ?? []
            return (
              <Stack key={i} gap={4}>
                <Textarea
                  label={`Post ${i + 1}`}
                  name={`post-${i + 1}`}
                  autosize
                  minRows={2}
                  value={post}
                  onChange={(e) => setPost(i, e.currentTarget.value)}
                  error={props.errors[`posts.${i}`] ?? counters.flatMap((c) => c.problems.map((p) => `@${c.handle}: ${p}`))[0]}
                />
                <Group gap="xs" aria-label={`Length of post ${i + 1}`}>
                  {counters.map((c) => (
                    <Badge key={c.accountId} variant="light" color={c.problems.length ? 'red' : 'gray'}>
                      {c.network} @{c.handle}: {c.length}/{c.max}
                    </Badge>
                  ))}
                  {values.posts.length > 1 ? (
                    <Button size="compact-xs" variant="subtle" color="red" onClick={() => set({ posts: values.posts.filter((_, j) => j !== i) })} aria-label={`Remove post ${i + 1}`}>
                      Remove
                    </Button>
                  ) : null}
                </Group>
              </Stack>
            )
          })}
          <Group>
            <Button variant="default" onClick={() => set({ posts: [...values.posts, ''] })}>
              Add post
            </Button>
          </Group>
        </Stack>

        <RecurrenceField
          rule={values.rule}
          start={values.start}
          timezone={values.timezone}
          timezones={props.timezones}
          preview={result?.preview ?? null}
          errors={props.errors}
          onChange={set}
        />

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
