import { Button, Group, Text } from '@mantine/core'
import { useState } from 'react'

export type QueueSlotAnswer = { slot: { at: string; local: string; timezone: string } } | { error: string }

/** A single post that goes out once: at its start (the editor's "Once, at the start" preset). */
export const ONCE_RULE = 'FREQ=DAILY;COUNT=1'

/**
 * "Add to queue" (decision 091): asks the server for the next queue slot of the ticked accounts that no
 * scheduled post of theirs uses, and hands it to the editor as the start (in the series' zone) of a post
 * that goes out once. A series of several posts follows its own rule instead.
 */
export function QueueButton(props: { csrf: string; accountIds: string[]; timezone: string; seriesId?: string; postCount: number; onSlot(slot: { local: string }): void }) {
  const [message, setMessage] = useState<{ text: string; error: boolean } | null>(null)
  const [busy, setBusy] = useState(false)
  const single = props.postCount <= 1
  const ask = async () => {
    setBusy(true)
    const form = new URLSearchParams({ csrf: props.csrf, timezone: props.timezone, seriesId: props.seriesId ?? '' })
    props.accountIds.forEach((id) => form.append('accountId', id))
    try {
      const response = await fetch('/app/series/queue-slot', { method: 'POST', body: form, credentials: 'same-origin', headers: { Accept: 'application/json' } })
      const answer = (await response.json()) as QueueSlotAnswer
      if ('error' in answer) setMessage({ text: answer.error, error: true })
      else {
        props.onSlot(answer.slot)
        setMessage({ text: `Added to the queue: ${answer.slot.local.replace('T', ' ')} (${answer.slot.timezone}).`, error: false })
      }
    } catch {
      setMessage({ text: 'Could not reach the server; try again.', error: true })
    } finally {
      setBusy(false)
    }
  }
  return (
    <Group gap="sm" align="center">
      <Button variant="default" onClick={ask} loading={busy} disabled={!single || props.accountIds.length === 0}>
        Add to queue
      </Button>
      <Text size="sm" c={message?.error ? 'red' : 'dimmed'} role="status" aria-live="polite">
        {message?.text ?? (single ? 'Takes the next free posting time of the chosen accounts.' : 'A series of several posts follows its rule; Add to queue places a single post.')}
      </Text>
    </Group>
  )
}
