import { Alert, Anchor, Text, TextInput } from '@mantine/core'
import { data, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node'
import { Link, useActionData } from '@remix-run/react'
import { z } from 'zod'
import { AuthPage } from '~/components/auth-page'
import { requireAnonymous } from '~/utils/auth.server'
import { issueCsrfToken } from '~/utils/csrf.server'
import { readForm } from '~/utils/forms.server'
import { requestPasswordReset } from '../core.server'

export const meta: MetaFunction = () => [{ title: 'Reset your password · Trickle' }]

const ForgotSchema = z.object({ email: z.email('Enter the email address you log in with, like name@example.com').max(254) })

export async function loader({ request, context }: LoaderFunctionArgs) {
  await requireAnonymous(request, context.services)
  const { csrfToken, headers } = await issueCsrfToken(request, context.services)
  return data({ csrfToken }, { headers })
}

export async function action({ request, context }: ActionFunctionArgs) {
  const form = await readForm(request, context.services, ForgotSchema)
  if (!form.ok) return data({ fieldErrors: form.fieldErrors, values: form.values, sent: false }, { status: 400 })
  // The same answer whether or not the email has an account; the mail goes out in the background.
  await requestPasswordReset(context.services, { email: form.data.email, ip: context.clientIp ?? null })
  return { fieldErrors: {}, values: form.values, sent: true }
}

export default function ForgotPassword() {
  const result = useActionData<typeof action>()
  const errors: Record<string, string | undefined> = result?.fieldErrors ?? {}
  return (
    <AuthPage
      title="Reset your password"
      intro={
        result?.sent ? (
          <Alert color="teal" role="status" title="Check your email">
            If {result.values.email} has a Trickle account, a link to choose a new password is on its way; it works once, for one hour. No email
            after a few minutes? Your workspace may have no email sender set up: ask the person who runs your Trickle to reset your password.
          </Alert>
        ) : (
          <Text>Enter the email you log in with and we will send you a link to choose a new password.</Text>
        )
      }
      fields={<TextInput label="Email" name="email" type="email" autoComplete="email" required defaultValue={result?.values.email} error={errors.email} />}
      submitLabel="Send reset link"
      footer={
        <Text size="sm">
          <Anchor component={Link} to="/login">
            Back to log in
          </Anchor>
        </Text>
      }
    />
  )
}
