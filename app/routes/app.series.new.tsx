import { Stack, Text, Title } from '@mantine/core'
import { data, redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node'
import { useActionData, useLoaderData } from '@remix-run/react'
import { GeneralErrorBoundary } from '~/components/error-boundary'
import { SeriesEditor } from '~/components/series-editor'
import { requireMembership } from '~/utils/auth.server'
import { readForm } from '~/utils/forms.server'
import { loadEditorOptions, newSeriesDefaults, saveSeriesForm, SeriesFormSchema, fieldErrorsForPeople } from '../core.server'

export const meta: MetaFunction = () => [{ title: 'New series · Trickle' }]

export async function loader({ request, context }: LoaderFunctionArgs) {
  const { services } = context
  const { workspace, membership } = await requireMembership(request, services, { role: 'editor' })
  const options = await loadEditorOptions(services, { workspaceId: workspace.id })
  const defaults = newSeriesDefaults(services, { timezone: workspace.timezone })
  return { ...options, needsApproval: membership.role !== 'owner', defaults: { ...defaults, accountIds: options.accounts.filter((a) => a.status === 'connected').map((a) => a.id).slice(0, 1) } }
}

export async function action({ request, context }: ActionFunctionArgs) {
  const { services } = context
  const { workspace, user, membership } = await requireMembership(request, services, { role: 'editor' })
  const form = await readForm(request, services, SeriesFormSchema)
  if (!form.ok) return data({ fieldErrors: fieldErrorsForPeople(form.fieldErrors) }, { status: 400 })
  const saved = await saveSeriesForm(services, { workspaceId: workspace.id, input: form.data, actor: { userId: user.id, role: membership.role } })
  if (!saved.ok) return data({ fieldErrors: saved.fieldErrors }, { status: saved.status })
  // An editor's series is a draft until an owner approves it: its page offers "Submit for approval".
  if (membership.role !== 'owner') return redirect(`/app/series/${saved.seriesId}?created=1`)
  return redirect(`/app/calendar?series=${saved.seriesId}&created=1`)
}

export default function NewSeries() {
  const { accounts, timezones, hashtagGroups, defaults, needsApproval } = useLoaderData<typeof loader>()
  const result = useActionData<typeof action>()
  return (
    <Stack maw={800}>
      <Title order={1}>New series</Title>
      <Text c="dimmed">Write the posts, choose the accounts and when they go out. Post 1 takes the first date, post 2 the next, and so on.</Text>
      {needsApproval ? <Text>Your series is saved as a draft: nothing is published until you submit it and a workspace owner approves it.</Text> : null}
      <SeriesEditor initial={defaults} accounts={accounts} timezones={timezones} hashtagGroups={hashtagGroups} errors={result?.fieldErrors ?? {}} submitLabel={needsApproval ? 'Save draft' : 'Create series'} />
    </Stack>
  )
}

export function ErrorBoundary() {
  return <GeneralErrorBoundary />
}
