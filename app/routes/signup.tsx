import { Anchor, PasswordInput, Text, TextInput } from '@mantine/core'
import { data, redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node'
import { Link, useActionData, useSearchParams } from '@remix-run/react'
import { AuthPage } from '~/components/auth-page'
import { PASSWORD_MIN_LENGTH } from '#core/password-length'
import { EmailTakenError, requireAnonymous, safeRedirect, signUp, SignUpSchema } from '~/utils/auth.server'
import { issueCsrfToken } from '~/utils/csrf.server'
import { readForm } from '~/utils/forms.server'
import { startSession } from '~/utils/session.server'

export const meta: MetaFunction = () => [{ title: 'Create your account · Trickle' }]

export async function loader({ request, context }: LoaderFunctionArgs) {
  await requireAnonymous(request, context.services)
  const { csrfToken, headers } = await issueCsrfToken(request, context.services)
  return data({ csrfToken }, { headers })
}

export async function action({ request, context }: ActionFunctionArgs) {
  const { services } = context
  const form = await readForm(request, services, SignUpSchema)
  if (!form.ok) return data({ fieldErrors: form.fieldErrors, values: form.values }, { status: 400 })
  try {
    const { user, workspace } = await signUp(services.database.db, form.data)
    const cookie = await startSession(services, { userId: user.id, workspaceId: workspace.id })
    const redirectTo = safeRedirect(new URL(request.url).searchParams.get('redirectTo'))
    return redirect(redirectTo, { headers: { 'Set-Cookie': cookie } })
  } catch (error) {
    if (!(error instanceof EmailTakenError)) throw error
    return data(
      { fieldErrors: { email: 'An account with this email already exists. Log in instead, or use another email.' }, values: form.values },
      { status: 400 },
    )
  }
}

export default function SignUp() {
  const result = useActionData<typeof action>()
  const errors: Record<string, string | undefined> = result?.fieldErrors ?? {}
  const values: Record<string, string | undefined> = result?.values ?? {}
  const [params] = useSearchParams()
  const joining = params.get('redirectTo')?.startsWith('/invite/')
  return (
    <AuthPage
      title="Create your account"
      intro={
        <Text c="dimmed">
          {joining
            ? 'After this you will join the workspace you were invited to. You also get a workspace of your own.'
            : 'You get a workspace for your team; invite people to it from Settings afterwards.'}
        </Text>
      }
      fields={
        <>
          <TextInput label="Your name" name="name" autoComplete="name" required defaultValue={values.name} error={errors.name} />
          <TextInput label="Email" name="email" type="email" autoComplete="email" required defaultValue={values.email} error={errors.email} />
          <PasswordInput
            label="Password"
            name="password"
            autoComplete="new-password"
            required
            description={`At least ${PASSWORD_MIN_LENGTH} characters. A few unrelated words make a good one.`}
            error={errors.password}
          />
          <TextInput
            label="Workspace name"
            name="workspaceName"
            required
            description="Usually your team or company name."
            defaultValue={values.workspaceName}
            error={errors.workspaceName}
          />
        </>
      }
      submitLabel="Create account"
      footer={
        <Text size="sm">
          Already have an account?{' '}
          <Anchor component={Link} to={`/login${params.size ? `?${params}` : ''}`}>
            Log in
          </Anchor>
        </Text>
      }
    />
  )
}
