import { Button, NativeSelect, Stack, Text } from '@mantine/core'
import { data, type ActionFunctionArgs, type LoaderFunctionArgs } from '@remix-run/node'
import { Form, useActionData, useLoaderData, useNavigation } from '@remix-run/react'
import { useMemo } from 'react'
import { CsrfInput } from '~/components/csrf-input'
import { useToast } from '~/components/toasts'
import { requireUser } from '~/utils/auth.server'
import { readForm } from '~/utils/forms.server'
import { describeClock, localeChoices, preferencesOf, PreferencesFormSchema, saveUserPreferences } from '../core.server'

/** The signed-in person's own preferences: the locale their times and weeks follow (issue 20). */
export async function loader({ request, context }: LoaderFunctionArgs) {
  const { user } = await requireUser(request, context.services)
  const browser = preferencesOf({ locale: null }, request.headers.get('accept-language'))
  return { locale: user.locale ?? '', choices: localeChoices(), browser: { locale: browser.locale, clock: describeClock(browser.hour12, browser.firstDay) } }
}

export async function action({ request, context }: ActionFunctionArgs) {
  const { services } = context
  const { user } = await requireUser(request, services)
  const form = await readForm(request, services, PreferencesFormSchema)
  if (!form.ok) return data({ fieldErrors: form.fieldErrors, saved: false }, { status: 400 })
  await saveUserPreferences(services, { userId: user.id, input: form.data })
  return { fieldErrors: {} as Record<string, string>, saved: true }
}

export default function Preferences() {
  const { locale, choices, browser } = useLoaderData<typeof loader>()
  const result = useActionData<typeof action>()
  const errors: Record<string, string | undefined> = result?.fieldErrors ?? {}
  const busy = useNavigation().state === 'submitting'
  useToast(useMemo(() => (result?.saved ? { kind: 'success' as const, title: 'Saved', message: 'Times and weeks now follow your choice.' } : null), [result]))
  return (
    <Form method="post" noValidate>
      <CsrfInput />
      <Stack maw={560}>
        <Text c="dimmed">These apply to you only, in every workspace. The workspace’s time zone is set under Workspace.</Text>
        <NativeSelect
          label="Language and region for times and weeks"
          name="locale"
          description="Sets the 12- or 24-hour clock and the first day of the week on every page, the calendar included."
          defaultValue={locale}
          error={errors.locale}
          data={[{ value: '', label: `Your browser’s (${browser.locale}): ${browser.clock}` }, ...choices]}
        />
        <Button type="submit" loading={busy} w="fit-content">
          Save
        </Button>
      </Stack>
    </Form>
  )
}
