import { useEffect, useState } from 'react'
import { Anchor, PasswordInput, Text, TextInput } from '@mantine/core'
import { data, redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node'
import { Link, useActionData, useLoaderData, useSearchParams } from '@remix-run/react'
import { AuthPage } from '~/components/auth-page'
import { PASSWORD_MIN_LENGTH } from '#core/password-length'
import { roleWithArticle } from '#domain/roles'
import { EmailTakenError, requireAnonymous, safeRedirect, signUp, SignUpSchema } from '~/utils/auth.server'
import { issueCsrfToken } from '~/utils/csrf.server'
import { readForm } from '~/utils/forms.server'
import { hashSecret, startSession } from '~/utils/session.server'
import { findInvitation, InvitationGoneError, InvitedSignUpSchema, signUpAndJoin, type Services } from '../core.server'

export const meta: MetaFunction = () => [{ title: 'Create your account · Trickle' }]

/** The open invitation a sign-up came from (`?redirectTo=/invite/<token>`), or null. */
async function invitationOf(request: Request, services: Services) {
  const token = /^\/invite\/([A-Za-z0-9_-]{1,200})$/.exec(new URL(request.url).searchParams.get('redirectTo') ?? '')?.[1]
  if (!token) return null
  const invitation = await findInvitation(services, { tokenHash: hashSecret(token) })
  return invitation ? { tokenHash: hashSecret(token), workspaceName: invitation.workspaceName, role: invitation.role } : null
}

export async function loader({ request, context }: LoaderFunctionArgs) {
  await requireAnonymous(request, context.services)
  const invitation = await invitationOf(request, context.services)
  const { csrfToken, headers } = await issueCsrfToken(request, context.services)
  return data({ csrfToken, invitation: invitation ? { workspaceName: invitation.workspaceName, role: invitation.role } : null }, { headers })
}

export async function action({ request, context }: ActionFunctionArgs) {
  const { services } = context
  const invitation = await invitationOf(request, services)
  if (invitation) return signUpInvited(request, services, invitation.tokenHash)
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

/** An invitee joins the inviting workspace at once and gets none of their own (issue 20: a stray workspace). */
async function signUpInvited(request: Request, services: Services, tokenHash: string) {
  const form = await readForm(request, services, InvitedSignUpSchema)
  if (!form.ok) return data({ fieldErrors: form.fieldErrors, values: form.values }, { status: 400 })
  try {
    const { user, workspaceId } = await signUpAndJoin(services, { input: form.data, tokenHash })
    const cookie = await startSession(services, { userId: user.id, workspaceId })
    return redirect('/app', { headers: { 'Set-Cookie': cookie } })
  } catch (error) {
    if (error instanceof EmailTakenError) {
      return data({ fieldErrors: { email: 'An account with this email already exists. Log in instead, then open the invitation again.' }, values: form.values }, { status: 400 })
    }
    if (error instanceof InvitationGoneError) {
      return data({ fieldErrors: { form: 'This invitation was used, revoked or expired meanwhile; nothing was created. Ask the workspace owner for a new link.' }, values: form.values }, { status: 409 })
    }
    throw error
  }
}

/** The browser's time zone, for the new workspace (set after hydration: the server cannot know it). */
function BrowserTimezoneInput() {
  const [zone, setZone] = useState('')
  useEffect(() => setZone(Intl.DateTimeFormat().resolvedOptions().timeZone ?? ''), [])
  return <input type="hidden" name="timezone" value={zone} />
}

export default function SignUp() {
  const { invitation } = useLoaderData<typeof loader>()
  const result = useActionData<typeof action>()
  const errors: Record<string, string | undefined> = result?.fieldErrors ?? {}
  const values: Record<string, string | undefined> = result?.values ?? {}
  const [params] = useSearchParams()
  return (
    <AuthPage
      title={invitation ? `Join ${invitation.workspaceName}` : 'Create your account'}
      intro={
        <Text c="dimmed">
          {invitation
            ? `Create your account to join ${invitation.workspaceName} as ${roleWithArticle(invitation.role)}.`
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
          {invitation ? null : <BrowserTimezoneInput />}
          {invitation ? null : (
            <TextInput
              label="Workspace name"
              name="workspaceName"
              required
              description="Usually your team or company name."
              defaultValue={values.workspaceName}
              error={errors.workspaceName}
            />
          )}
          {errors.form ? (
            <Text c="red" role="alert">
              {errors.form}
            </Text>
          ) : null}
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
