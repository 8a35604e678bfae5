import { Alert, Button, Code, List, Radio, Stack, Text, Textarea, TextInput, Title } from '@mantine/core'
import { Form } from '@remix-run/react'
import { useState } from 'react'
import { CsrfInput } from './csrf-input'

type Dkim = { domain: string; selector: string; recordName: string; recordValue: string; bits: number } | null

/**
 * The sender page's DKIM part (decision 078): the TXT record to publish for the saved key, SPF/DKIM/DMARC
 * guidance, and the form to set a domain, a selector and a key (generated here, or pasted; never shown again).
 */
export function DkimSection({ dkim, fromDomain, errors }: { dkim: Dkim; fromDomain: string; errors: Record<string, string | undefined> }) {
  const [key, setKey] = useState<'generate' | 'paste'>('generate')
  const domain = dkim?.domain ?? fromDomain
  return (
    <Stack component="section" aria-labelledby="dkim-heading" mt="lg">
      <Title order={2} id="dkim-heading">
        Authentication (DKIM, SPF, DMARC)
      </Title>
      {dkim ? (
        <Stack gap="xs">
          <Text>
            Trickle signs mail for <strong>{dkim.domain}</strong> with selector <strong>{dkim.selector}</strong> (RSA {dkim.bits} bits). Publish this DNS TXT record:
          </Text>
          <Text component="div" size="sm">
            Name: <Code data-testid="dkim-record-name">{dkim.recordName}</Code>
          </Text>
          <Code block data-testid="dkim-record-value" style={{ whiteSpace: 'pre-wrap', wordBreak: 'break-all' }}>
            {dkim.recordValue}
          </Code>
          <Form method="post" onSubmit={(e) => (window.confirm('Remove the DKIM key? Mail will no longer be signed by Trickle.') ? undefined : e.preventDefault())}>
            <CsrfInput />
            <Button type="submit" name="intent" value="remove-dkim" variant="subtle" color="red" w="fit-content">
              Remove DKIM key
            </Button>
          </Form>
        </Stack>
      ) : (
        <Alert color="yellow">DKIM is not configured: set a key below, or turn on signing at your SMTP provider.</Alert>
      )}
      <List size="sm" spacing={4}>
        <List.Item>
          <strong>DKIM</strong>: publish the TXT record above at your DNS host; the private key stays here, sealed, and is never shown again.
        </List.Item>
        <List.Item>
          <strong>SPF</strong>: a TXT record on {domain || 'your domain'} that names your SMTP server, e.g. <Code>v=spf1 include:your-provider.example ~all</Code> (one SPF record per domain).
        </List.Item>
        <List.Item>
          <strong>DMARC</strong>: a TXT record at <Code>_dmarc.{domain || 'your domain'}</Code>, e.g. <Code>v=DMARC1; p=none; rua=mailto:dmarc@{domain || 'example.com'}</Code>; move to
          p=quarantine once reports show your mail passes.
        </List.Item>
      </List>
      <Form method="post">
        <CsrfInput />
        <input type="hidden" name="intent" value="save-dkim" />
        <Stack>
          <TextInput label="Signing domain" name="domain" defaultValue={domain} error={errors.domain} description="The domain of your From address" />
          <TextInput label="Selector" name="selector" defaultValue={dkim?.selector ?? 'trickle1'} error={errors.selector} description="Letters, digits and hyphens; a new selector lets you rotate keys" />
          <Radio.Group name="key" label="Private key" value={key} onChange={(v) => setKey(v === 'paste' ? 'paste' : 'generate')}>
            <Stack gap={4} mt={4}>
              <Radio value="generate" label="Generate a new RSA 2048 key" />
              <Radio value="paste" label="Paste a PEM RSA private key" />
            </Stack>
          </Radio.Group>
          {key === 'paste' ? <Textarea label="PEM private key" name="privateKey" autosize minRows={4} autoComplete="off" spellCheck={false} error={errors.privateKey} /> : null}
          <Button type="submit">{dkim ? 'Replace DKIM key' : 'Save DKIM key'}</Button>
        </Stack>
      </Form>
    </Stack>
  )
}
