import { Alert, Button, Container, Stack, Text, TextInput, Title } from '@mantine/core'
import { data, type ActionFunctionArgs, type HeadersFunction, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node'
import { Form, useActionData, useLoaderData } from '@remix-run/react'
import { z } from 'zod'
import { GeneralErrorBoundary } from '~/components/error-boundary'
import { EmailNotConfiguredError, findSignupForm, limitPublicFormPost, RateLimitedError, signUpThroughForm } from '../core.server'
import { fieldErrorsOf, readFormBody } from '~/utils/forms.server'
import { EmailSchema, isStorableText } from '#domain/email/contact'

export const meta: MetaFunction<typeof loader> = ({ data }) => [{ title: data ? data.name : 'Sign up' }]

/** A rate-limited post's Retry-After reaches the page's response. */
export const headers: HeadersFunction = ({ actionHeaders }) => {
  const retryAfter = actionHeaders.get('Retry-After')
  return retryAfter ? { 'Retry-After': retryAfter } : new Headers()
}

/** Shared by the hosted page, the embeddable variant (`?embed=1`, for an iframe) and plain HTML forms posted from other sites. */
const SignupSchema = z.object({
  email: z.string().trim().pipe(EmailSchema),
  name: z.string().trim().max(200, 'Use at most 200 characters').refine(isStorableText, 'Remove the control characters').optional(),
  /** Honeypot: hidden from people, filled in by bots. */
  website: z.string().max(1000).optional(),
})

const UNDELIVERABLE = 'We cannot send email to this address: earlier messages to it bounced or were reported as spam. Check it for typos, or use another address.'
const CHECK_INBOX = 'Almost done: we sent you an email. Click the link in it to confirm your subscription.'

async function findForm(services: LoaderFunctionArgs['context']['services'], formId: string | undefined) {
  const id = z.uuid().safeParse(formId)
  const form = id.success ? await findSignupForm(services, { formId: id.data }) : null
  if (!form) throw new Response('There is no such signup form.', { status: 404, headers: { 'Content-Type': 'text/plain; charset=utf-8' } })
  return form
}

export async function loader({ request, context, params }: LoaderFunctionArgs) {
  const form = await findForm(context.services, params.formId)
  return { name: form.name, consentText: form.consentText, embed: new URL(request.url).searchParams.has('embed') }
}

/**
 * Public and CSRF-exempt by design: the form must work when posted from the customer's own site
 * (the embeddable snippet), where no cookie of ours exists. Double opt-in is the protection: nothing
 * is subscribed until the address's owner clicks the signed confirmation link.
 */
export async function action({ request, context, params }: ActionFunctionArgs) {
  const { services } = context
  const form = await findForm(services, params.formId)
  try {
    // Per IP and per form, across every web process (decision 064).
    await limitPublicFormPost(services, { formId: form.id, ip: context.clientIp ?? null })
  } catch (error) {
    if (!(error instanceof RateLimitedError)) throw error
    return data({ fieldErrors: {}, done: false, limited: error.message }, { status: 429, headers: { 'Retry-After': String(error.retryAfterSeconds) } })
  }
  const parsed = SignupSchema.safeParse(Object.fromEntries(await readFormBody(request)))
  if (!parsed.success) return data({ fieldErrors: fieldErrorsOf(parsed.error), done: false }, { status: 400 })
  if (parsed.data.website) return { fieldErrors: {}, done: true }
  try {
    const signup = await signUpThroughForm(services, { form, email: parsed.data.email, name: parsed.data.name || null, ip: context.clientIp ?? null })
    if (signup.outcome === 'undeliverable') return data({ fieldErrors: { email: UNDELIVERABLE }, done: false }, { status: 422 })
  } catch (error) {
    if (error instanceof EmailNotConfiguredError) throw new Response('This form cannot take signups yet: its owner has not set up email sending.', { status: 503 })
    throw error
  }
  return { fieldErrors: {}, done: true }
}

export default function SignupForm() {
  const { name, consentText, embed } = useLoaderData<typeof loader>()
  const result = useActionData<typeof action>()
  const errors: Record<string, string | undefined> = result?.fieldErrors ?? {}
  const limited = result && 'limited' in result ? result.limited : null
  const body = result?.done ? (
    <Alert color="teal" role="status" title="Check your inbox">
      {CHECK_INBOX}
    </Alert>
  ) : (
    <Form method="post" noValidate>
      <Stack>
        {limited ? (
          <Alert color="yellow" role="alert" title="Please wait a moment">
            {limited}
          </Alert>
        ) : null}
        <TextInput label="Email" name="email" type="email" required autoComplete="email" error={errors.email} />
        <TextInput label="Name" name="name" autoComplete="name" error={errors.name} />
        <div style={{ position: 'absolute', left: '-10000px' }} aria-hidden="true">
          <label>
            Leave this empty <input type="text" name="website" tabIndex={-1} autoComplete="off" />
          </label>
        </div>
        <Text size="sm" c="dimmed">
          {consentText}
        </Text>
        <Button type="submit">Subscribe</Button>
      </Stack>
    </Form>
  )
  if (embed) return <div style={{ padding: 8 }}>{body}</div>
  return (
    <Container size={480} py="xl">
      <Stack>
        <Title order={1}>{name}</Title>
        {body}
      </Stack>
    </Container>
  )
}

export function ErrorBoundary() {
  return <GeneralErrorBoundary />
}
