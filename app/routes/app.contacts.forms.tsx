import { Alert, Anchor, Button, Code, Stack, Text, Textarea, TextInput, Title } from '@mantine/core'
import { data, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node'
import { Form, Link, useActionData, useLoaderData } from '@remix-run/react'
import { z } from 'zod'
import { CsrfInput } from '~/components/csrf-input'
import { createSignupForm, listWorkspaceSignupForms, loadEmailSettings, RequiredLine, saveSender, SenderFormSchema, senderFromForm } from '../core.server'
import { requireMembership } from '~/utils/auth.server'
import { readForm } from '~/utils/forms.server'
import { TagSchema } from '#domain/email/contact'

export const meta: MetaFunction = () => [{ title: 'Signup forms · Trickle' }]

/** Built on the server only: the browser build has no core/ values (app/core.server.ts is emptied there). */
const actionSchema = () =>
  z.discriminatedUnion('intent', [
    z.object({
      intent: z.literal('create-form'),
      name: RequiredLine('a name'),
      consentText: RequiredLine('the consent text people agree to', 2000),
      tags: z
        .string()
        .optional()
        .transform((s) => (s ?? '').split(',').map((t) => t.trim()).filter(Boolean))
        .pipe(z.array(TagSchema).max(20)),
    }),
    // The sender's own page is /app/contacts/sender; its form is still taken here, where it used to live.
    SenderFormSchema,
  ])

export async function loader({ request, context }: LoaderFunctionArgs) {
  const { services } = context
  const { workspace } = await requireMembership(request, services)
  const [forms, settings] = await Promise.all([listWorkspaceSignupForms(services, { workspaceId: workspace.id }), loadEmailSettings(services, { workspaceId: workspace.id })])
  const base = services.config.APP_URL
  return { forms: forms.map((f) => ({ id: f.id, name: f.name, url: `${base}/f/${f.id}`, tags: f.tags })), hasSender: Boolean(settings?.senderAccountId) }
}

export async function action({ request, context }: ActionFunctionArgs) {
  const { services } = context
  const { workspace } = await requireMembership(request, services, { role: 'editor' })
  const form = await readForm(request, services, actionSchema())
  if (!form.ok) return data({ fieldErrors: form.fieldErrors, message: null }, { status: 400 })
  const input = form.data
  if (input.intent === 'create-form') {
    await createSignupForm(services, { workspaceId: workspace.id, name: input.name, consentText: input.consentText, tags: input.tags })
    return { fieldErrors: {}, message: `Form "${input.name}" created.` }
  }
  await saveSender(services, senderFromForm(workspace.id, input))
  return { fieldErrors: {}, message: 'Sender saved.' }
}

export default function SignupForms() {
  const { forms, hasSender } = useLoaderData<typeof loader>()
  const result = useActionData<typeof action>()
  const errors: Record<string, string | undefined> = result?.fieldErrors ?? {}
  return (
    <Stack maw={800}>
      <Title order={1}>Signup forms</Title>
      {result?.message ? (
        <Alert color="teal" role="status">
          {result.message}
        </Alert>
      ) : null}
      {hasSender ? null : (
        <Alert color="yellow" title="No email sender yet">
          Confirmation emails cannot go out until the sender is set up. <Anchor component={Link} to="/app/contacts/sender">Set up the email sender</Anchor>
        </Alert>
      )}
      {forms.map((f) => (
        <Stack key={f.id} gap={4}>
          <Text fw={600}>{f.name}</Text>
          <Text size="sm">
            Hosted page: <a href={f.url}>{f.url}</a>
          </Text>
          <Text size="sm">Embed in your site:</Text>
          <Code block tabIndex={0}>{`<iframe src="${f.url}?embed=1" style="border:0;width:100%;height:360px" title="${f.name}"></iframe>`}</Code>
          <Text size="sm">Or post a plain HTML form to it:</Text>
          <Code block tabIndex={0}>{`<form action="${f.url}" method="post">\n  <input type="email" name="email" required>\n  <input type="text" name="name">\n  <button>Subscribe</button>\n</form>`}</Code>
        </Stack>
      ))}
      <Form method="post">
        <CsrfInput />
        <input type="hidden" name="intent" value="create-form" />
        <Stack>
          <TextInput label="Form name" name="name" error={errors.name} />
          <Textarea label="Consent text shown next to the button" name="consentText" defaultValue="I agree to receive emails. I can unsubscribe at any time." error={errors.consentText} />
          <TextInput label="Tags for people who confirm (comma-separated)" name="tags" error={errors.tags} />
          <Button type="submit">Create form</Button>
        </Stack>
      </Form>
    </Stack>
  )
}
