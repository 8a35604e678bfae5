import { Stack, TextInput } from '@mantine/core'
import { Form } from '@remix-run/react'
import { ConnectHelp, ConnectSubmit } from '~/components/connect-help'
import { CsrfInput } from '~/components/csrf-input'

/**
 * The Accounts page's sign-in for networks that connect with an app password (Bluesky): handle, app
 * password and the optional server. The password is posted once and never echoed back into the page.
 */
export function AppPasswordForm({
  kind,
  name,
  settingsUrl,
  defaultServer,
  values,
  errors,
  reconnecting,
}: {
  kind: string
  name: string
  settingsUrl: string
  defaultServer: string
  values?: { identifier?: string; server?: string }
  errors?: Record<string, string>
  /** Reconnecting a stored account: its handle and server are filled in, the cursor waits in the password. */
  reconnecting?: boolean
}) {
  return (
    <Form method="post" reloadDocument noValidate>
      <CsrfInput />
      <input type="hidden" name="intent" value="sign-in" />
      <input type="hidden" name="kind" value={kind} />
      <Stack gap="xs">
        <ConnectHelp
          help={`Sign in with an app password. Trickle keeps only the session ${name} gives it, never the password.`}
          link={{ url: settingsUrl, label: `Make an app password in ${name}` }}
        />
        <TextInput
          label="Handle or DID"
          description="e.g. alice.bsky.social"
          name="identifier"
          autoComplete="off"
          spellCheck={false}
          required
          defaultValue={values?.identifier}
          error={errors?.identifier}
        />
        <TextInput
          label="App password"
          description={`Made in ${name}'s settings (link above). Never use your main password.`}
          name="appPassword"
          type="password"
          autoComplete="off"
          required
          autoFocus={reconnecting}
          error={errors?.appPassword}
        />
        <TextInput
          label={`Your ${name} server (optional)`}
          description={`Leave empty for ${defaultServer}; fill in your own PDS if your account lives elsewhere.`}
          name="server"
          type="url"
          defaultValue={values?.server}
          error={errors?.server}
        />
        <ConnectSubmit name={name} reconnecting={reconnecting} error={errors?.kind} />
      </Stack>
    </Form>
  )
}
