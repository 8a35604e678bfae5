import { Alert, Anchor, Container, Stack, Text, Title } from '@mantine/core'
import { isRouteErrorResponse, Link, useRouteError } from '@remix-run/react'

const messages: Record<number, { title: string; next: string }> = {
  400: { title: 'That request was not valid', next: 'Check the form and try again.' },
  401: { title: 'Please log in', next: 'Log in to continue.' },
  403: { title: 'You do not have access to this', next: 'Ask a workspace owner for access.' },
  404: { title: 'We could not find that', next: 'It may have been deleted, or the link is wrong.' },
}

/** The one error boundary; routes customise it by status code. */
export function GeneralErrorBoundary() {
  const error = useRouteError()
  const status = isRouteErrorResponse(error) ? error.status : 500
  const known = messages[status] ?? { title: 'Something went wrong on our side', next: 'Try again in a moment; if it keeps happening, check the server log.' }
  const detail = isRouteErrorResponse(error) && typeof error.data === 'string' ? error.data : null
  return (
    <Container size="sm" py="xl">
      <Stack>
        <Title order={1}>{known.title}</Title>
        <Alert color={status >= 500 ? 'red' : 'yellow'} role="alert" title={`Error ${status}`}>
          {detail ? <Text>{detail}</Text> : null}
          <Text>{known.next}</Text>
        </Alert>
        <Anchor component={Link} to="/">
          Back to Trickle
        </Anchor>
      </Stack>
    </Container>
  )
}
