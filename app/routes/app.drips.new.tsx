import { Stack, Text, Title } from '@mantine/core'
import { data, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node'
import { useActionData, useLoaderData } from '@remix-run/react'
import { DripEditor } from '~/components/drip-editor'
import { GeneralErrorBoundary } from '~/components/error-boundary'
import { requireMembership } from '~/utils/auth.server'
import { newDripValues } from '#core/drip-form'
import { loadDripEditorOptions, saveDripForm } from '../core.server'
import { readFormData } from '~/utils/forms.server'
import { redirectWithToast } from '~/utils/toast.server'

export const meta: MetaFunction = () => [{ title: 'New drip · Trickle' }]

export async function loader({ request, context }: LoaderFunctionArgs) {
  const { services } = context
  const { workspace } = await requireMembership(request, services, { role: 'editor' })
  return { options: await loadDripEditorOptions(services, { workspaceId: workspace.id }), initial: newDripValues(workspace.timezone) }
}

export async function action({ request, context }: ActionFunctionArgs) {
  const { services } = context
  const { workspace } = await requireMembership(request, services, { role: 'editor' })
  const saved = await saveDripForm(services, { workspaceId: workspace.id, form: await readFormData(request, services) })
  if (!saved.ok) return data({ fieldErrors: saved.fieldErrors, values: saved.values }, { status: saved.status })
  return redirectWithToast(services, `/app/drips/${saved.dripId}`, { kind: 'success', message: 'Drip saved as a draft. Send yourself a test, then activate it.' })
}

export default function NewDrip() {
  const { options, initial } = useLoaderData<typeof loader>()
  const result = useActionData<typeof action>()
  return (
    <Stack maw={900}>
      <Title order={1}>New drip</Title>
      <Text c="dimmed">Write the emails once; each contact who enters gets step 1, then step 2 after its delay, and so on, in their own time zone. A new drip starts paused.</Text>
      <DripEditor key={result ? 'retry' : 'new'} initial={result?.values ?? initial} options={options} errors={result?.fieldErrors ?? {}} submitLabel="Save drip" />
    </Stack>
  )
}

export function ErrorBoundary() {
  return <GeneralErrorBoundary />
}
