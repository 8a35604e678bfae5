import { Stack } from '@mantine/core'
import { data, type ActionFunctionArgs, type LoaderFunctionArgs } from '@remix-run/node'
import { useActionData, useLoaderData } from '@remix-run/react'
import { z } from 'zod'
import { ChangePasswordForm, TwoStepSettings, type SecurityActionData } from '~/components/security-settings'
import { requireUser } from '~/utils/auth.server'
import { readForm } from '~/utils/forms.server'
import {
  ChangePasswordSchema,
  changePassword,
  checkCurrentPassword,
  confirmTotpEnrolment,
  describeWait,
  loadTotpStatus,
  renewRecoveryCodes,
  startTotpEnrolment,
  turnOffTotp,
} from '../core.server'

/** The signed-in person's own security: their password and two-step verification (TOTP with recovery codes). */

const SecurityActionSchema = z.discriminatedUnion('intent', [
  ChangePasswordSchema.safeExtend({ intent: z.literal('change-password') }),
  z.object({ intent: z.literal('totp-start') }),
  z.object({ intent: z.literal('totp-confirm'), code: z.string().trim().regex(/^\d{6}$/, 'Enter the 6-digit code your app shows') }),
  z.object({ intent: z.enum(['totp-disable', 'recovery-renew']), password: z.string().min(1, 'Enter your current password') }),
])

export async function loader({ request, context }: LoaderFunctionArgs) {
  const { user } = await requireUser(request, context.services)
  const totp = await loadTotpStatus(context.services, { userId: user.id })
  return { totp: totp.state === 'on' ? { ...totp, since: totp.since.toISOString() } : totp }
}

export async function action({ request, context }: ActionFunctionArgs) {
  const { services } = context
  const ip = context.clientIp ?? null
  const { user, session } = await requireUser(request, services)
  const form = await readForm(request, services, SecurityActionSchema)
  const reply = (body: Partial<SecurityActionData>, status = 200) =>
    data({ intent: form.values.intent ?? null, fieldErrors: {}, done: null, recoveryCodes: null, ...body } satisfies SecurityActionData, { status })
  if (!form.ok) return reply({ fieldErrors: form.fieldErrors }, 400)
  const input = form.data
  switch (input.intent) {
    case 'change-password': {
      const result = await changePassword(services, { userId: user.id, sessionIdHash: session.idHash, ip, input })
      if (!result.ok) return reply({ fieldErrors: result.fieldErrors }, 400)
      const others = result.sessionsEnded === 1 ? '1 other session was' : `${result.sessionsEnded} other sessions were`
      return reply({ done: `Your password is changed. ${others} signed out.` })
    }
    case 'totp-start':
      await startTotpEnrolment(services, { userId: user.id })
      return reply({})
    case 'totp-confirm': {
      const result = await confirmTotpEnrolment(services, { userId: user.id, code: input.code })
      if (!result.ok) return reply({ fieldErrors: { code: 'That code is not right. Check the time on your phone and enter the code your app shows now.' } }, 400)
      return reply({ done: 'Two-step verification is on.', recoveryCodes: result.recoveryCodes })
    }
    case 'totp-disable':
    case 'recovery-renew': {
      const check = await checkCurrentPassword(services, { userId: user.id, password: input.password, ip })
      if (check.outcome === 'throttled') return reply({ fieldErrors: { password: `Too many wrong passwords. Wait ${describeWait(check.waitMs)}.` } }, 429)
      if (check.outcome === 'mismatch') return reply({ fieldErrors: { password: 'That is not your current password' } }, 400)
      if (input.intent === 'totp-disable') {
        await turnOffTotp(services, { userId: user.id })
        return reply({ done: 'Two-step verification is off.' })
      }
      const codes = await renewRecoveryCodes(services, { userId: user.id })
      return reply({ done: 'New recovery codes replace the old ones.', recoveryCodes: codes })
    }
  }
}

export default function SecuritySettings() {
  const { totp } = useLoaderData<typeof loader>()
  const result = useActionData<typeof action>()
  return (
    <Stack gap="xl">
      <ChangePasswordForm result={result?.intent === 'change-password' ? result : undefined} />
      <TwoStepSettings totp={totp} result={result?.intent !== 'change-password' ? result : undefined} />
    </Stack>
  )
}
