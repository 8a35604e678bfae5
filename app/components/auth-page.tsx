import { Button, Container, Stack, Title } from '@mantine/core'
import { Form, useNavigation } from '@remix-run/react'
import type { ReactNode } from 'react'
import { CsrfInput } from './csrf-input'
import { FormAlert } from './form-alert'

/**
 * The frame of the signed-out pages (log in, sign up, second step, forgot and reset password): a
 * title, what to do (notices and alerts), one CSRF-protected form whose button shows it is busy, and
 * links below. Without `fields` the page shows only `intro` (e.g. an expired reset link).
 */
export function AuthPage({
  title,
  intro,
  formError,
  fields,
  submitLabel,
  footer,
}: {
  title: string
  intro?: ReactNode
  formError?: string | null
  fields?: ReactNode
  submitLabel?: string
  footer?: ReactNode
}) {
  const busy = useNavigation().state === 'submitting'
  return (
    <Container size={460} py="xl">
      <Stack>
        <Title order={1}>{title}</Title>
        {intro}
        <FormAlert message={formError} />
        {fields ? (
          <Form method="post" noValidate>
            <CsrfInput />
            <Stack>
              {fields}
              <Button type="submit" loading={busy}>
                {submitLabel}
              </Button>
            </Stack>
          </Form>
        ) : null}
        {footer}
      </Stack>
    </Container>
  )
}
