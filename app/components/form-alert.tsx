import { Alert } from '@mantine/core'

/** A form-level error (not tied to one field), announced to screen readers. */
export function FormAlert({ message }: { message?: string | null }) {
  if (!message) return null
  return (
    <Alert color="red" role="alert" title="Please check the form">
      {message}
    </Alert>
  )
}
