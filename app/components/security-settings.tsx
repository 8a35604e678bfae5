import { Alert, Button, Code, Group, Image, List, PasswordInput, Stack, Text, TextInput, Title } from '@mantine/core'
import { Form } from '@remix-run/react'
import { CsrfInput } from './csrf-input'

/** The forms of Settings → Security (app/routes/app.settings.security.tsx). */

export type SecurityActionData = {
  intent: string | null
  fieldErrors: Record<string, string>
  done: string | null
  recoveryCodes: string[] | null
}

export type TotpView =
  | { state: 'off' }
  | { state: 'enrolling'; secret: string; uri: string; qrCodeDataUrl: string }
  | { state: 'on'; since: string; recoveryCodesLeft: number }

function Done({ message }: { message: string | null | undefined }) {
  if (!message) return null
  return (
    <Alert color="teal" role="status">
      {message}
    </Alert>
  )
}

export function ChangePasswordForm({ result }: { result?: SecurityActionData }) {
  const errors = result?.fieldErrors ?? {}
  return (
    <Stack component="section" aria-labelledby="password-heading">
      <Title order={2} id="password-heading">
        Password
      </Title>
      <Done message={result?.done} />
      <Form method="post" noValidate>
        <CsrfInput />
        <input type="hidden" name="intent" value="change-password" />
        <Stack maw={420}>
          <PasswordInput label="Current password" name="currentPassword" autoComplete="current-password" required error={errors.currentPassword} />
          <PasswordInput
            label="New password"
            name="newPassword"
            autoComplete="new-password"
            description="At least 12 characters and not a common one; a few unrelated words work well."
            required
            error={errors.newPassword}
          />
          <PasswordInput label="New password again" name="confirmPassword" autoComplete="new-password" required error={errors.confirmPassword} />
          <Group>
            <Button type="submit">Change password</Button>
          </Group>
          <Text size="sm" c="dimmed">
            Changing it signs you out everywhere else.
          </Text>
        </Stack>
      </Form>
    </Stack>
  )
}

function RecoveryCodes({ codes }: { codes: string[] }) {
  return (
    <Alert color="yellow" title="Your recovery codes" role="status">
      <Text>Save these now (a password manager or a printout); they will not be shown again. Each works once, instead of a code from your app.</Text>
      <List data-testid="recovery-codes" ff="monospace">
        {codes.map((code) => (
          <List.Item key={code}>{code}</List.Item>
        ))}
      </List>
    </Alert>
  )
}

function PasswordConfirmedForm({ intent, label, color, errors }: { intent: string; label: string; color?: string; errors: Record<string, string> }) {
  return (
    <Form method="post" noValidate>
      <CsrfInput />
      <input type="hidden" name="intent" value={intent} />
      <Group align="end">
        <PasswordInput label="Current password" name="password" autoComplete="current-password" required error={errors.password} />
        <Button type="submit" color={color} variant="light">
          {label}
        </Button>
      </Group>
    </Form>
  )
}

export function TwoStepSettings({ totp, result }: { totp: TotpView; result?: SecurityActionData }) {
  const errors = result?.fieldErrors ?? {}
  return (
    <Stack component="section" aria-labelledby="two-step-heading">
      <Title order={2} id="two-step-heading">
        Two-step verification
      </Title>
      <Done message={result?.done} />
      {result?.recoveryCodes ? <RecoveryCodes codes={result.recoveryCodes} /> : null}
      {totp.state === 'off' ? (
        <>
          <Text>Off. Turn it on and logging in also asks for a code from an authenticator app on your phone.</Text>
          <Form method="post">
            <CsrfInput />
            <input type="hidden" name="intent" value="totp-start" />
            <Button type="submit">Set up two-step verification</Button>
          </Form>
        </>
      ) : null}
      {totp.state === 'enrolling' ? (
        <>
          <Text>Scan this QR code with your authenticator app, or type the key into it by hand. Then enter the 6-digit code it shows.</Text>
          <Image src={totp.qrCodeDataUrl} alt="QR code for your authenticator app (the key is also written below)" w={220} h={220} />
          <Text>
            Key: <Code data-testid="totp-secret">{totp.secret}</Code>
          </Text>
          <Form method="post" noValidate>
            <CsrfInput />
            <input type="hidden" name="intent" value="totp-confirm" />
            <Group align="end">
              <TextInput label="Code from your app" name="code" autoComplete="one-time-code" inputMode="numeric" required error={errors.code} />
              <Button type="submit">Turn on</Button>
            </Group>
          </Form>
        </>
      ) : null}
      {totp.state === 'on' ? (
        <>
          <Text>
            {`On since ${totp.since.slice(0, 10)}. ${totp.recoveryCodesLeft} unused recovery code${totp.recoveryCodesLeft === 1 ? '' : 's'} left.`}
          </Text>
          <PasswordConfirmedForm intent="recovery-renew" label="New recovery codes" errors={result?.intent === 'recovery-renew' ? errors : {}} />
          <PasswordConfirmedForm intent="totp-disable" label="Turn off" color="red" errors={result?.intent === 'totp-disable' ? errors : {}} />
        </>
      ) : null}
    </Stack>
  )
}
