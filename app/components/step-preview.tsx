import { Anchor, Button, Group, SegmentedControl, Stack, Text } from '@mantine/core'
import { Link, useFetcher } from '@remix-run/react'
import { useEffect, useState } from 'react'
import { usePreview } from '~/utils/use-preview'
import type { TemplateFieldErrors, TemplatePreview, TestSendResult } from '~/core.server'

const DEBOUNCE_MS = 400
const WIDTHS = { desktop: 640, phone: 375 } as const

type Failure = { ok: false; errors: TemplateFieldErrors & { sender?: string; form?: string } }

/** The CSRF token the shell rendered (the preview posts outside the editor's form). */
function csrfOf(): string {
  return (document.querySelector('input[name="csrf"]') as HTMLInputElement | null)?.value ?? ''
}

/**
 * A step's live preview (decision 075): its unsaved subject and body posted to /app/drips/preview
 * (outside the router: `usePreview`), debounced, whenever they or the sample contact change. The problems come back under `subject`,
 * `markdown` and `contact`, for the fields to show.
 */
export function useStepPreview(args: { subject: string; markdown: string; contact: string }) {
  const { data, loading, submit } = usePreview<TemplatePreview | Failure>('/app/drips/preview')
  const { subject, markdown } = args
  const contact = args.contact.trim()
  useEffect(() => {
    const timer = setTimeout(() => submit({ subject, markdown, contact, csrf: csrfOf() }), DEBOUNCE_MS)
    return () => clearTimeout(timer)
  }, [subject, markdown, contact, submit])
  return { preview: data?.ok ? data : null, errors: data && !data.ok ? data.errors : {}, loading }
}

/**
 * What the step's email looks like: the subject, the HTML part in a sandboxed frame (no scripts, no
 * same origin) at desktop or phone width, and the text part; and a test send to the signed-in user.
 */
export function StepPreview(props: { n: number; subject: string; markdown: string; contact: string; preview: Extract<TemplatePreview, { ok: true }> | null }) {
  const { n, preview } = props
  const [width, setWidth] = useState<keyof typeof WIDTHS>('desktop')
  const test = useFetcher<Extract<TestSendResult, { ok: true }> | Failure>()
  const sent = test.data
  const sendError = sent && !sent.ok ? (sent.errors.sender ?? sent.errors.form ?? Object.values(sent.errors)[0]) : null
  return (
    <Stack gap="xs" component="section" aria-label={`Preview of step ${n}`}>
      <Group justify="space-between" align="center">
        <Text size="sm" aria-live="polite">
          {preview ? (
            <>
              <strong>Subject:</strong> {preview.subject}
              <Text span c="dimmed" size="xs">
                {' '}
                · as {preview.contact.sample ? `${preview.contact.name}, a made-up contact` : preview.contact.email}
              </Text>
            </>
          ) : (
            'No preview yet'
          )}
        </Text>
        <SegmentedControl
          size="xs"
          aria-label={`Preview width of step ${n}`}
          value={width}
          onChange={(value) => setWidth(value as keyof typeof WIDTHS)}
          data={[
            { value: 'desktop', label: 'Desktop' },
            { value: 'phone', label: 'Phone' },
          ]}
        />
      </Group>
      {preview ? (
        <>
          <iframe
            title={`Preview of step ${n}`}
            srcDoc={preview.html}
            sandbox=""
            style={{ width: '100%', maxWidth: WIDTHS[width], height: 360, border: '1px solid #ced4da', background: 'white' }}
          />
          <details>
            <summary>
              <Text span size="sm">
                Text part of step {n}
              </Text>
            </summary>
            <Text component="pre" size="xs" style={{ whiteSpace: 'pre-wrap', margin: 0 }} data-testid={`step-${n}-text`}>
              {preview.text}
            </Text>
          </details>
        </>
      ) : null}
      <Group gap="sm">
        <Button
          size="xs"
          variant="default"
          loading={test.state !== 'idle'}
          onClick={() => test.submit({ subject: props.subject, markdown: props.markdown, contact: props.contact.trim(), csrf: csrfOf() }, { method: 'post', action: '/app/drips/test-send' })}
        >
          Send step {n} to me
        </Button>
        <div role="status">
          {sent?.ok ? (
            <Text size="sm" c="teal">
              Test sent to {sent.to}.
            </Text>
          ) : sendError ? (
            <Text size="sm" c="red">
              {sendError}
              {sent && !sent.ok && sent.errors.sender ? (
                <>
                  {' '}
                  <Anchor component={Link} to="/app/contacts/forms">
                    Set up the email sender
                  </Anchor>
                </>
              ) : null}
            </Text>
          ) : null}
        </div>
      </Group>
    </Stack>
  )
}
