import { Checkbox, Group, Stack, Text, TextInput } from '@mantine/core'

/** The editor's evergreen setting as its fields hold it (decision 107): the gap in whole days (or an ISO 8601 duration). */
export type EvergreenValue = { on: boolean; minGap: string; until: string }

export const EVERGREEN_OFF: EvergreenValue = { on: false, minGap: '30', until: '' }

/** A stored gap as the editor's field shows it: whole days as a number, anything else as written. */
export function minGapForForm(minGap: string): string {
  const days = /^P(\d+)D$/.exec(minGap)
  if (days) return String(Number(days[1]))
  const weeks = /^P(\d+)W$/.exec(minGap)
  return weeks ? String(Number(weeks[1]) * 7) : minGap
}

/** A stored setting (or none) as the editor's value. */
export function evergreenValue(stored: { minGap: string; until: string } | null | undefined): EvergreenValue {
  return stored ? { on: true, minGap: minGapForForm(stored.minGap), until: stored.until } : EVERGREEN_OFF
}

/** The fields the server reads (evergreenFromForm in core/series/schemas.ts). */
export function evergreenFields(value: EvergreenValue): Record<string, string> {
  return { evergreenShown: '1', ...(value.on ? { evergreen: 'on' } : {}), evergreenMinGap: value.minGap, evergreenUntil: value.until }
}

/**
 * "Evergreen": start the series again from post 1 after its last post, at the rule's first date at least the
 * minimum gap later, until an end date. Its errors are named `evergreen.minGap` and `evergreen.until`.
 */
export function EvergreenField(props: { value: EvergreenValue; errors: Record<string, string | undefined>; onChange(next: EvergreenValue): void }) {
  const { value } = props
  return (
    <Stack gap="xs">
      <input type="hidden" name="evergreenShown" value="1" />
      <Checkbox
        name="evergreen"
        label="Evergreen: recycle the posts"
        description="After the last post, post 1 comes again on the rule's first date at least the minimum gap later, and so on until the end date. Networks refuse the same text twice on one account (X does), so vary the texts of posts that repeat."
        checked={value.on}
        onChange={(e) => props.onChange({ ...value, on: e.currentTarget.checked })}
      />
      {value.on ? (
        <Group align="flex-start" grow>
          <TextInput
            label="Minimum gap (days)"
            name="evergreenMinGap"
            description="Days between the last post of a round and post 1 of the next (or an ISO 8601 duration such as P2W or PT12H)."
            value={value.minGap}
            onChange={(e) => props.onChange({ ...value, minGap: e.currentTarget.value })}
            error={props.errors['evergreen.minGap']}
            inputMode="numeric"
            required
          />
          <TextInput
            label="Evergreen until"
            name="evergreenUntil"
            type="datetime-local"
            description="No round starts or continues after this (at most 2 years after the start)."
            value={value.until}
            onChange={(e) => props.onChange({ ...value, until: e.currentTarget.value })}
            error={props.errors['evergreen.until']}
            required
          />
        </Group>
      ) : (
        <>
          <input type="hidden" name="evergreenMinGap" value={value.minGap} />
          <input type="hidden" name="evergreenUntil" value={value.until} />
        </>
      )}
      {value.on && props.errors.evergreen ? (
        <Text c="red" size="sm">
          {props.errors.evergreen}
        </Text>
      ) : null}
    </Stack>
  )
}
