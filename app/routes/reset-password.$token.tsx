import { Alert, Anchor, PasswordInput, Text } from '@mantine/core'
import { data, redirect, type ActionFunctionArgs, type HeadersFunction, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node'
import { Link, useActionData, useLoaderData } from '@remix-run/react'
import { z } from 'zod'
import { AuthPage } from '~/components/auth-page'
import { PASSWORD_MIN_LENGTH } from '#core/password-length'
import { issueCsrfToken } from '~/utils/csrf.server'
import { readForm } from '~/utils/forms.server'
import { isPasswordResetOpen, resetPasswordWithToken } from '../core.server'

export const meta: MetaFunction = () => [{ title: 'Choose a new password · Trickle' }]

/** The token is in the path: never send it on in a Referer. */
export const headers: HeadersFunction = () => ({ 'Referrer-Policy': 'no-referrer', 'Cache-Control': 'no-store' })

const ResetSchema = z
  .object({ password: z.string().min(1, 'Enter a new password'), confirmPassword: z.string() })
  .refine((d) => d.password === d.confirmPassword, { path: ['confirmPassword'], message: 'Type the same new password twice' })

export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const open = await isPasswordResetOpen(context.services, { token: params.token ?? '' })
  const { csrfToken, headers } = await issueCsrfToken(request, context.services)
  headers.set('Referrer-Policy', 'no-referrer')
  return data({ csrfToken, open }, { headers })
}

export async function action({ request, params, context }: ActionFunctionArgs) {
  const form = await readForm(request, context.services, ResetSchema)
  if (!form.ok) return data({ fieldErrors: form.fieldErrors, formError: null }, { status: 400 })
  const result = await resetPasswordWithToken(context.services, { token: params.token ?? '', password: form.data.password })
  if (result.ok) return redirect('/login?reset=1')
  if (result.problem === 'password') return data({ fieldErrors: { password: result.message }, formError: null }, { status: 400 })
  return data({ fieldErrors: {}, formError: result.message }, { status: 410 })
}

export default function ResetPassword() {
  const { open } = useLoaderData<typeof loader>()
  const result = useActionData<typeof action>()
  const errors: Record<string, string | undefined> = result?.fieldErrors ?? {}
  if (!open) {
    return (
      <AuthPage
        title="Choose a new password"
        intro={
          <Alert color="red" role="alert" title="This link does not work any more">
            Reset links work once, for one hour. <Anchor component={Link} to="/forgot-password">Ask for a new one</Anchor>.
          </Alert>
        }
      />
    )
  }
  return (
    <AuthPage
      title="Choose a new password"
      intro={
        <Text>
          At least {PASSWORD_MIN_LENGTH} characters, and not a common one: a few unrelated words work well. You will be logged out everywhere and log
          in again with the new password.
        </Text>
      }
      formError={result?.formError}
      fields={
        <>
          <PasswordInput label="New password" name="password" autoComplete="new-password" required error={errors.password} />
          <PasswordInput label="New password again" name="confirmPassword" autoComplete="new-password" required error={errors.confirmPassword} />
        </>
      }
      submitLabel="Set new password"
    />
  )
}
