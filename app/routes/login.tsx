import { Alert, Anchor, PasswordInput, Text, TextInput } from '@mantine/core'
import { data, redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node'
import { Link, useActionData, useSearchParams } from '@remix-run/react'
import { z } from 'zod'
import { lineSchema } from '#domain/text'
import { AuthPage } from '~/components/auth-page'
import { requireAnonymous, safeRedirect } from '~/utils/auth.server'
import { issueCsrfToken } from '~/utils/csrf.server'
import { readForm } from '~/utils/forms.server'
import { startPendingLogin, startSession } from '~/utils/session.server'
import { attemptPasswordLogin, describeWait, listUserWorkspaces } from '../core.server'

export const meta: MetaFunction = () => [{ title: 'Log in · Trickle' }]

const LoginSchema = z.object({
  email: lineSchema('Remove the control characters').trim().min(1, 'Enter your email').max(254, 'Use at most 254 characters'),
  password: z.string().min(1, 'Enter your password'),
})

export async function loader({ request, context }: LoaderFunctionArgs) {
  await requireAnonymous(request, context.services)
  const { csrfToken, headers } = await issueCsrfToken(request, context.services)
  return data({ csrfToken }, { headers })
}

export async function action({ request, context }: ActionFunctionArgs) {
  const { services } = context
  const form = await readForm(request, services, LoginSchema)
  if (!form.ok) return data({ fieldErrors: form.fieldErrors, values: form.values, formError: null }, { status: 400 })
  const attempt = await attemptPasswordLogin(services, { ...form.data, ip: context.clientIp ?? null })
  if (attempt.outcome === 'throttled') {
    const formError = `Too many failed attempts for this email from your network. Wait ${describeWait(attempt.waitMs)} and try again, or reset your password.`
    return data({ fieldErrors: {}, values: form.values, formError }, { status: 429 })
  }
  if (attempt.outcome === 'mismatch') {
    const formError = 'That email and password do not match an account. Check both and try again.'
    return data({ fieldErrors: {}, values: form.values, formError }, { status: 400 })
  }
  if (attempt.outcome === 'second-factor') {
    const search = new URL(request.url).search
    return redirect(`/login/verify${search}`, { headers: { 'Set-Cookie': await startPendingLogin(services, { userId: attempt.userId }) } })
  }
  const user = { id: attempt.userId }
  const [first] = await listUserWorkspaces(services, { userId: user.id })
  const cookie = await startSession(services, { userId: user.id, workspaceId: first?.workspaceId ?? null })
  return redirect(safeRedirect(new URL(request.url).searchParams.get('redirectTo')), { headers: { 'Set-Cookie': cookie } })
}

export default function Login() {
  const result = useActionData<typeof action>()
  const errors: Record<string, string | undefined> = result?.fieldErrors ?? {}
  const [params] = useSearchParams()
  return (
    <AuthPage
      title="Log in to Trickle"
      intro={
        params.get('reset') && !result ? (
          <Alert color="teal" role="status">
            Your password is changed and you were logged out everywhere. Log in with the new password.
          </Alert>
        ) : null
      }
      formError={result?.formError}
      fields={
        <>
          <TextInput label="Email" name="email" type="email" autoComplete="email" required defaultValue={result?.values.email} error={errors.email} />
          <PasswordInput label="Password" name="password" autoComplete="current-password" required error={errors.password} />
        </>
      }
      submitLabel="Log in"
      footer={
        <>
          <Text size="sm">
            <Anchor component={Link} to="/forgot-password">
              Forgot your password?
            </Anchor>
          </Text>
          <Text size="sm">
            New here?{' '}
            <Anchor component={Link} to={`/signup${params.size ? `?${params}` : ''}`}>
              Create an account
            </Anchor>
          </Text>
        </>
      }
    />
  )
}
