import { Alert, Button, Checkbox, Stack, Text, Textarea } from '@mantine/core'
import { data, type ActionFunctionArgs, type LoaderFunctionArgs } from '@remix-run/node'
import { Form, Link, useActionData, useLoaderData, useNavigation } from '@remix-run/react'
import { z } from 'zod'
import { CsrfInput } from '~/components/csrf-input'
import { requireMembership, roleAtLeast } from '~/utils/auth.server'
import { readForm } from '~/utils/forms.server'
import { loadNotificationSettings, updateNotificationSettings } from '../core.server'

const NotificationsFormSchema = z.object({
  emailOnProblems: z.literal('on').optional(),
  extraRecipients: z
    .string()
    .max(2_000, 'extraRecipients: use at most 2,000 characters')
    .transform((text) => text.split(/[\s,;]+/).filter(Boolean))
    .pipe(z.array(z.email({ error: 'extraRecipients: one address per line, like ops@example.com' })).max(20, 'extraRecipients: at most 20 addresses')),
})

export async function loader({ request, context }: LoaderFunctionArgs) {
  const { services } = context
  const { workspace, membership } = await requireMembership(request, services)
  const { settings, hasSender } = await loadNotificationSettings(services, { workspaceId: workspace.id })
  return { settings, hasSender, canEdit: roleAtLeast(membership.role, 'owner') }
}

export async function action({ request, context }: ActionFunctionArgs) {
  const { services } = context
  const { user, workspace } = await requireMembership(request, services, { role: 'owner' })
  const form = await readForm(request, services, NotificationsFormSchema)
  // `extraRecipients.3` (the fourth address) is reported on the one field.
  if (!form.ok) return data({ fieldErrors: Object.fromEntries(Object.entries(form.fieldErrors).map(([key, message]) => [key.split('.')[0], message])), saved: false }, { status: 400 })
  await updateNotificationSettings(services, {
    actorUserId: user.id,
    workspaceId: workspace.id,
    settings: { emailOnProblems: form.data.emailOnProblems === 'on', extraRecipients: form.data.extraRecipients },
  })
  return { fieldErrors: {} as Record<string, string>, saved: true }
}

export default function NotificationSettings() {
  const { settings, hasSender, canEdit } = useLoaderData<typeof loader>()
  const result = useActionData<typeof action>()
  const errors: Record<string, string | undefined> = result?.fieldErrors ?? {}
  const busy = useNavigation().state === 'submitting'
  return (
    <Stack>
      <Text>Failed, missed and needs-review posts always appear on the dashboard. Owners can also get them by email: one digest a minute at most, listing every post that needs attention.</Text>
      {hasSender ? null : (
        <Alert color="yellow" title="No email sender yet">
          Digests go out through your workspace’s SMTP sender. <Link to="/app/contacts/sender">Set up the sender</Link> first; until then problems show only in the app.
        </Alert>
      )}
      {canEdit ? null : <Text c="dimmed">Only owners can change notifications.</Text>}
      {result?.saved ? (
        <Alert color="teal" role="status" title="Saved">
          Notification settings are updated.
        </Alert>
      ) : null}
      <Form method="post" noValidate>
        <CsrfInput />
        <fieldset disabled={!canEdit} style={{ border: 0, padding: 0, margin: 0 }}>
          <Stack maw={480}>
            <Checkbox name="emailOnProblems" label="Email the owners when posts fail, are missed or need review" defaultChecked={settings.emailOnProblems} />
            <Textarea
              label="Also send to"
              name="extraRecipients"
              description="Optional: one address per line (for example a team inbox)."
              defaultValue={settings.extraRecipients.join('\n')}
              error={errors.extraRecipients}
              autosize
              minRows={2}
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
