import { Anchor, Button, Text } from '@mantine/core'

/**
 * The opening line of a network's connect form on the Accounts page: how to get what the form asks for,
 * and the guide on the network's own site (opened in a new tab).
 */
export function ConnectHelp({ help, link }: { help: string; link?: { url: string; label: string } }) {
  return (
    <Text size="sm">
      {help}{' '}
      {link ? (
        <Anchor href={link.url} target="_blank" rel="noreferrer" size="sm" underline="always">
          {link.label}
        </Anchor>
      ) : null}
    </Text>
  )
}

/** The end of a connect form: the error that is no field's (announced), and the submit button. */
export function ConnectSubmit({ name, reconnecting, error }: { name: string; reconnecting?: boolean; error?: string }) {
  return (
    <>
      {error ? (
        <Text c="red" size="sm" role="alert">
          {error}
        </Text>
      ) : null}
      <Button type="submit">{reconnecting ? `Reconnect ${name}` : `Connect ${name}`}</Button>
    </>
  )
}
