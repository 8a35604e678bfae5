import { Anchor, Stack, Text, Title } from '@mantine/core'
import { data, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node'
import { Link, useActionData, useLoaderData } from '@remix-run/react'
import { GeneralErrorBoundary } from '~/components/error-boundary'
import { SegmentEditor } from '~/components/segment-editor'
import { requireMembership } from '~/utils/auth.server'
import { readFormData } from '~/utils/forms.server'
import { redirectWithToast } from '~/utils/toast.server'
import { newSegmentValues } from '#core/segment-form'
import { listCustomFields, saveSegmentForm } from '../core.server'

export const meta: MetaFunction = () => [{ title: 'New segment · Trickle' }]

export async function loader({ request, context }: LoaderFunctionArgs) {
  const { services } = context
  const { workspace } = await requireMembership(request, services, { role: 'editor' })
  const fields = await listCustomFields(services, { workspaceId: workspace.id })
  return { options: { customFields: fields.map((f) => ({ key: f.key, label: f.label })) }, initial: newSegmentValues() }
}

export async function action({ request, context }: ActionFunctionArgs) {
  const { services } = context
  const { workspace } = await requireMembership(request, services, { role: 'editor' })
  const saved = await saveSegmentForm(services, { workspaceId: workspace.id, form: await readFormData(request, services) })
  if (!saved.ok) return data({ fieldErrors: saved.fieldErrors, values: saved.values }, { status: saved.status })
  return redirectWithToast(services, '/app/contacts/segments', { kind: 'success', message: 'Segment saved.' })
}

export default function NewSegment() {
  const { options, initial } = useLoaderData<typeof loader>()
  const result = useActionData<typeof action>()
  return (
    <Stack maw={960}>
      <Anchor component={Link} to="/app/contacts/segments">
        ← Segments
      </Anchor>
      <Title order={1}>New segment</Title>
      <Text c="dimmed">Describe who belongs: the count below follows your changes, counted the way drips count it.</Text>
      <SegmentEditor key={result ? 'retry' : 'new'} initial={result?.values ?? initial} options={options} errors={result?.fieldErrors ?? {}} submitLabel="Save segment" />
    </Stack>
  )
}

export function ErrorBoundary() {
  return <GeneralErrorBoundary />
}
