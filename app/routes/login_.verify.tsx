import { Anchor, Text, TextInput } from '@mantine/core'
import { data, redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node'
import { Link, useActionData } from '@remix-run/react'
import { z } from 'zod'
import { AuthPage } from '~/components/auth-page'
import { requireAnonymous, safeRedirect } from '~/utils/auth.server'
import { issueCsrfToken } from '~/utils/csrf.server'
import { readForm } from '~/utils/forms.server'
import { clearPendingLogin, readPendingLogin, startSession } from '~/utils/session.server'
import { attemptSecondFactor, describeWait, listUserWorkspaces } from '../core.server'

/** The second log-in step for users with TOTP: a code from their app, or one of their recovery codes. */

export const meta: MetaFunction = () => [{ title: 'Two-step verification · Trickle' }]

const VerifySchema = z.object({ code: z.string().trim().min(1, 'Enter the 6-digit code from your app, or a recovery code').max(64) })

function backToLogin(request: Request): Response {
  return redirect(`/login${new URL(request.url).search}`)
}

export async function loader({ request, context }: LoaderFunctionArgs) {
  await requireAnonymous(request, context.services)
  if (!(await readPendingLogin(request, context.services))) throw backToLogin(request)
  const { csrfToken, headers } = await issueCsrfToken(request, context.services)
  return data({ csrfToken }, { headers })
}

export async function action({ request, context }: ActionFunctionArgs) {
  const { services } = context
  const form = await readForm(request, services, VerifySchema)
  const pending = await readPendingLogin(request, services)
  if (!pending) throw backToLogin(request)
  if (!form.ok) return data({ fieldErrors: form.fieldErrors, formError: null }, { status: 400 })
  const attempt = await attemptSecondFactor(services, { userId: pending.userId, code: form.data.code, ip: context.clientIp ?? null })
  if (attempt.outcome === 'throttled') {
    return data({ fieldErrors: {}, formError: `Too many wrong codes. Wait ${describeWait(attempt.waitMs)} and try again.` }, { status: 429 })
  }
  if (attempt.outcome === 'mismatch') {
    return data({ fieldErrors: { code: 'That code is not right (or was already used). Enter the current code from your app, or an unused recovery code.' }, formError: null }, { status: 400 })
  }
  const [first] = await listUserWorkspaces(services, { userId: attempt.userId })
  const headers = new Headers()
  headers.append('Set-Cookie', await startSession(services, { userId: attempt.userId, workspaceId: first?.workspaceId ?? null }))
  headers.append('Set-Cookie', await clearPendingLogin(services))
  return redirect(safeRedirect(new URL(request.url).searchParams.get('redirectTo')), { headers })
}

export default function VerifyLogin() {
  const result = useActionData<typeof action>()
  const errors: Record<string, string | undefined> = result?.fieldErrors ?? {}
  return (
    <AuthPage
      title="Two-step verification"
      intro={<Text>Enter the 6-digit code your authenticator app shows for Trickle. Lost your phone? Enter one of your recovery codes instead.</Text>}
      formError={result?.formError}
      fields={<TextInput label="Code" name="code" autoComplete="one-time-code" inputMode="text" required autoFocus error={errors.code} />}
      submitLabel="Verify and log in"
      footer={
        <Text size="sm">
          <Anchor component={Link} to="/login">
            Start over
          </Anchor>
        </Text>
      }
    />
  )
}
