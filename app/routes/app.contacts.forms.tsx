import { Alert, Button, Code, Group, NativeSelect, NumberInput, PasswordInput, Stack, Text, Textarea, TextInput, Title } from '@mantine/core'
import { data, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node'
import { Form, useActionData, useLoaderData } from '@remix-run/react'
import { z } from 'zod'
import { CsrfInput } from '~/components/csrf-input'
import { createSignupForm, listWorkspaceSignupForms, loadEmailSettings, saveSender, SmtpHostSchema } from '../core.server'
import { requireMembership } from '~/utils/auth.server'
import { readForm } from '~/utils/forms.server'
import { isStorableText, TagSchema } from '#domain/email/contact'

export const meta: MetaFunction = () => [{ title: 'Signup forms and sender · Trickle' }]

const Line = (label: string, max = 200) => z.string().trim().min(1, `Enter ${label}`).max(max, `Use at most ${max} characters`).refine(isStorableText, 'Remove the control characters')

const ActionSchema = z.discriminatedUnion('intent', [
  z.object({
    intent: z.literal('create-form'),
    name: Line('a name'),
    consentText: Line('the consent text people agree to', 2000),
    tags: z
      .string()
      .optional()
      .transform((s) => (s ?? '').split(',').map((t) => t.trim()).filter(Boolean))
      .pipe(z.array(TagSchema).max(20)),
  }),
  z.object({
    intent: z.literal('save-sender'),
    fromName: Line('the sender name'),
    fromEmail: z.email('Enter the sender address'),
    replyTo: z.union([z.literal(''), z.email('Enter an email address or leave empty')]).optional(),
    postalAddress: Line('your postal address (required in marketing email)', 500),
    host: SmtpHostSchema,
    port: z.coerce.number().int().min(1).max(65535),
    security: z.enum(['tls', 'starttls', 'none']),
    user: z.string().trim().max(200).optional(),
    password: z.string().max(500).optional(),
  }),
])

export async function loader({ request, context }: LoaderFunctionArgs) {
  const { services } = context
  const { workspace } = await requireMembership(request, services)
  const [forms, settings] = await Promise.all([listWorkspaceSignupForms(services, { workspaceId: workspace.id }), loadEmailSettings(services, { workspaceId: workspace.id })])
  const base = services.config.APP_URL
  return {
    forms: forms.map((f) => ({ id: f.id, name: f.name, url: `${base}/f/${f.id}`, tags: f.tags })),
    settings: settings ? { fromName: settings.fromName, fromEmail: settings.fromEmail, replyTo: settings.replyTo ?? '', postalAddress: settings.postalAddress, hasSender: settings.senderAccountId !== null } : null,
  }
}

export async function action({ request, context }: ActionFunctionArgs) {
  const { services } = context
  const { workspace } = await requireMembership(request, services, { role: 'editor' })
  const form = await readForm(request, services, ActionSchema)
  if (!form.ok) return data({ fieldErrors: form.fieldErrors, message: null }, { status: 400 })
  const input = form.data
  if (input.intent === 'create-form') {
    await createSignupForm(services, { workspaceId: workspace.id, name: input.name, consentText: input.consentText, tags: input.tags })
    return { fieldErrors: {}, message: `Form "${input.name}" created.` }
  }
  await saveSender(services, {
    workspaceId: workspace.id,
    fromName: input.fromName,
    fromEmail: input.fromEmail,
    replyTo: input.replyTo || null,
    postalAddress: input.postalAddress,
    smtp: { host: input.host, port: input.port, security: input.security, user: input.user || undefined, password: input.password || undefined },
  })
  return { fieldErrors: {}, message: 'Sender saved.' }
}

export default function SignupForms() {
  const { forms, settings } = useLoaderData<typeof loader>()
  const result = useActionData<typeof action>()
  const errors: Record<string, string | undefined> = result?.fieldErrors ?? {}
  return (
    <Stack maw={800}>
      <Title order={1}>Signup forms and sender</Title>
      {result?.message ? (
        <Alert color="teal" role="status">
          {result.message}
        </Alert>
      ) : null}
      <Title order={2}>Sender</Title>
      <Text c="dimmed">Confirmation and drip emails go out through this SMTP server. The password is stored encrypted.</Text>
      <Form method="post">
        <CsrfInput />
        <input type="hidden" name="intent" value="save-sender" />
        <Stack>
          <Group grow>
            <TextInput label="From name" name="fromName" defaultValue={settings?.fromName} error={errors.fromName} />
            <TextInput label="From address" name="fromEmail" defaultValue={settings?.fromEmail} error={errors.fromEmail} />
            <TextInput label="Reply-to (optional)" name="replyTo" defaultValue={settings?.replyTo} error={errors.replyTo} />
          </Group>
          <Textarea label="Postal address" name="postalAddress" defaultValue={settings?.postalAddress} error={errors.postalAddress} />
          <Group grow>
            <TextInput label="SMTP host" name="host" error={errors.host} />
            <NumberInput label="Port" name="port" defaultValue={587} error={errors.port} />
            <NativeSelect label="Security" name="security" data={['starttls', 'tls', 'none']} />
          </Group>
          <Group grow>
            <TextInput label="SMTP user" name="user" autoComplete="off" />
            <PasswordInput label="SMTP password" name="password" autoComplete="new-password" />
          </Group>
          <Button type="submit">Save sender</Button>
        </Stack>
      </Form>
      <Title order={2}>Signup forms</Title>
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
