import { Alert, Anchor, Button, Group, Stack, Text, Title } from '@mantine/core'
import { data, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node'
import { Form, Link, useActionData, useLoaderData } from '@remix-run/react'
import { CsrfInput } from '~/components/csrf-input'
import { GeneralErrorBoundary } from '~/components/error-boundary'
import { SegmentEditor, SegmentReadOnly, type SegmentEditorOptions } from '~/components/segment-editor'
import { notFound, requireMembership, roleAtLeast } from '~/utils/auth.server'
import { readFormData } from '~/utils/forms.server'
import { redirectWithToast } from '~/utils/toast.server'
import { segmentToFormValues, type SegmentFormValues } from '#core/segment-form'
import { deleteSegment, getSegment, InputError, listCustomFields, previewSegment, saveSegmentForm, segmentIdOf } from '../core.server'

export const meta: MetaFunction<typeof loader> = ({ data }) => [{ title: `${data?.segment.name ?? 'Segment'} · Trickle` }]

type Services = Parameters<typeof getSegment>[0]

/** The segment of this workspace, or a 404 (the same for an unknown id and another workspace's). */
async function loadSegmentOrThrow(services: Services, workspaceId: string, segmentId: string | undefined) {
  try {
    return await getSegment(services, { workspaceId, segmentId: segmentIdOf({ segmentId }) })
  } catch (error) {
    if (error instanceof InputError && error.status === 404) throw notFound('No such segment')
    throw error
  }
}

/** Editors get the editor; a viewer gets the rule read-only with who matches now (counted here, refreshed on revalidation). */
export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const { services } = context
  const { workspace, membership } = await requireMembership(request, services)
  const [segment, fields] = await Promise.all([loadSegmentOrThrow(services, workspace.id, params.segmentId), listCustomFields(services, { workspaceId: workspace.id })])
  const canEdit = roleAtLeast(membership.role, 'editor')
  return {
    segment: { id: segment.id, name: segment.name, memberCount: segment.memberCount, usedBy: segment.usedBy },
    options: { customFields: fields.map((f) => ({ key: f.key, label: f.label })) },
    initial: segmentToFormValues(segment),
    /** Set for a viewer only: the read-only view's count and sample. */
    preview: canEdit ? null : { ok: true as const, ...(await previewSegment(services, { workspaceId: workspace.id, input: { rule: segment.rule } })) },
  }
}

export async function action({ request, params, context }: ActionFunctionArgs) {
  const { services } = context
  const { workspace } = await requireMembership(request, services, { role: 'editor' })
  const segment = await loadSegmentOrThrow(services, workspace.id, params.segmentId)
  const form = await readFormData(request, services)
  if (form.get('intent') === 'delete') {
    try {
      await deleteSegment(services, { workspaceId: workspace.id, segmentId: segment.id })
    } catch (error) {
      if (!(error instanceof InputError) || error.status !== 409) throw error
      return data({ fieldErrors: { delete: error.message } as Record<string, string>, values: null }, { status: 409 })
    }
    return redirectWithToast(services, '/app/contacts/segments', { kind: 'info', message: `Segment “${segment.name}” deleted.` })
  }
  const saved = await saveSegmentForm(services, { workspaceId: workspace.id, segmentId: segment.id, form })
  if (!saved.ok) return data({ fieldErrors: saved.fieldErrors, values: saved.values }, { status: saved.status })
  return redirectWithToast(services, `/app/contacts/segments/${segment.id}`, { kind: 'success', message: 'Segment saved.' })
}

export default function EditSegment() {
  const { segment, options, initial, preview } = useLoaderData<typeof loader>()
  const result = useActionData<typeof action>()
  const errors = result?.fieldErrors ?? {}
  return (
    <Stack maw={960}>
      <Anchor component={Link} to="/app/contacts/segments">
        ← Segments
      </Anchor>
      <Title order={1}>{segment.name}</Title>
      <Text c="dimmed">
        {segment.usedBy.length === 0 ? 'No drip uses this segment.' : `Used by ${segment.usedBy.map((d) => `${d.name} (${d.as})`).join(', ')}: a change applies from their next pass.`}
      </Text>
      {preview ? (
        <>
          <Text>You are a viewer in this workspace: changing segments needs the editor role. Ask a workspace owner.</Text>
          <SegmentReadOnly values={initial} options={options} preview={preview} />
        </>
      ) : (
        <SegmentEditorAndDelete segmentId={segment.id} initial={result?.values ?? initial} retry={Boolean(result?.values)} options={options} errors={errors} />
      )}
    </Stack>
  )
}

function SegmentEditorAndDelete(props: { segmentId: string; initial: SegmentFormValues; retry: boolean; options: SegmentEditorOptions; errors: Record<string, string> }) {
  const { errors } = props
  return (
    <>
      <SegmentEditor key={props.retry ? 'retry' : props.segmentId} initial={props.initial} options={props.options} errors={errors} submitLabel="Save segment" />
      <Form method="post">
        <CsrfInput />
        <input type="hidden" name="intent" value="delete" />
        <Stack gap="xs">
          {errors.delete ? (
            <Alert color="red" role="alert" title="Not deleted">
              {errors.delete}
            </Alert>
          ) : null}
          <Group>
            <Button type="submit" color="red" variant="outline">
              Delete segment
            </Button>
          </Group>
        </Stack>
      </Form>
    </>
  )
}

export function ErrorBoundary() {
  return <GeneralErrorBoundary />
}
