import { Button, Stack, Text, TextInput } from '@mantine/core'
import { useMemo } from 'react'
import { useToast } from '~/components/toasts'
import { data, type ActionFunctionArgs, type LoaderFunctionArgs } from '@remix-run/node'
import { Form, useActionData, useLoaderData, useNavigation } from '@remix-run/react'
import { z } from 'zod'
import { lineSchema } from '#domain/text'
import { CsrfInput } from '~/components/csrf-input'
import { requireMembership, roleAtLeast } from '~/utils/auth.server'
import { readForm } from '~/utils/forms.server'
import { TimezoneSchema } from '~/utils/openapi/workspace'
import { updateWorkspaceSettings } from '../core.server'

const WorkspaceFormSchema = z.object({
  name: lineSchema('Remove the control characters').trim().min(1, 'Enter a name').max(100, 'Use at most 100 characters'),
  timezone: z.string().trim().min(1, 'Enter a time zone such as Europe/Berlin or UTC').pipe(TimezoneSchema),
})

export async function loader({ request, context }: LoaderFunctionArgs) {
  const { workspace, membership } = await requireMembership(request, context.services)
  return { workspace: { name: workspace.name, timezone: workspace.timezone }, canEdit: roleAtLeast(membership.role, 'editor') }
}

export async function action({ request, context }: ActionFunctionArgs) {
  const { services } = context
  const { user, workspace } = await requireMembership(request, services, { role: 'editor' })
  const form = await readForm(request, services, WorkspaceFormSchema)
  if (!form.ok) return data({ fieldErrors: form.fieldErrors, saved: false }, { status: 400 })
  await updateWorkspaceSettings(services, { workspaceId: workspace.id, actorUserId: user.id, ...form.data })
  return { fieldErrors: {} as Record<string, string>, saved: true }
}

export default function WorkspaceSettings() {
  const { workspace, canEdit } = useLoaderData<typeof loader>()
  const result = useActionData<typeof action>()
  const errors: Record<string, string | undefined> = result?.fieldErrors ?? {}
  const busy = useNavigation().state === 'submitting'
  useToast(useMemo(() => (result?.saved ? { kind: 'success' as const, title: 'Saved', message: 'The workspace settings are updated.' } : null), [result]))
  return (
    <Stack>
      {canEdit ? null : <Text c="dimmed">Only editors and owners can change these settings; ask an owner if something is wrong.</Text>}
      <Form method="post" noValidate>
        <CsrfInput />
        <fieldset disabled={!canEdit} style={{ border: 0, padding: 0, margin: 0 }}>
          <Stack maw={420}>
            <TextInput label="Workspace name" name="name" required defaultValue={workspace.name} error={errors.name} />
            <TextInput
              label="Time zone"
              name="timezone"
              required
              description="IANA name, e.g. Europe/Berlin, America/New_York or UTC. Schedules are shown in this zone."
              defaultValue={workspace.timezone}
              error={errors.timezone}
            />
            {canEdit ? (
              <Button type="submit" loading={busy} w="fit-content">
                Save
              </Button>
            ) : null}
          </Stack>
        </fieldset>
      </Form>
    </Stack>
  )
}
