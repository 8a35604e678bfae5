import { Button, Container, Group, Stack, Text, Title } from '@mantine/core'
import { redirect, type LoaderFunctionArgs } from '@remix-run/node'
import { Link } from '@remix-run/react'
import { readSession } from '~/utils/session.server'

/** Signed-in people go straight to their workspace. */
export async function loader({ request, context }: LoaderFunctionArgs) {
  if (await readSession(request, context.services)) throw redirect('/app')
  return null
}

export default function Index() {
  return (
    <Container size="sm" py="xl">
      <Stack>
        <Title order={1}>Trickle</Title>
        <Text>Write a series once, give it a recurrence rule, and Trickle publishes every post at the right minute, exactly once.</Text>
        <Group>
          <Button component={Link} to="/signup">
            Create an account
          </Button>
          <Button component={Link} to="/login" variant="default">
            Log in
          </Button>
        </Group>
      </Stack>
    </Container>
  )
}
