import { Button, Code, FileInput, Stack, Text, Title } from '@mantine/core'
import { data, redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node'
import { Form, useActionData, useLoaderData } from '@remix-run/react'
import { z } from 'zod'
import { CsrfInput } from '~/components/csrf-input'
import { requireMembership } from '~/utils/auth.server'
import { listCustomFields, MAX_CONTACT_IMPORT_BYTES as MAX_BYTES, startContactImport } from '../core.server'
import { readForm } from '~/utils/forms.server'

export const meta: MetaFunction = () => [{ title: 'Import contacts · Trickle' }]

const ImportSchema = z.object({
  file: z
    .custom<File>((v) => typeof File !== 'undefined' && v instanceof File && v.size > 0, 'Choose a CSV file')
    .refine((f) => f.size <= MAX_BYTES, `The file must be at most ${MAX_BYTES / 1024 / 1024} MB`),
})

export async function loader({ request, context }: LoaderFunctionArgs) {
  const { workspace } = await requireMembership(request, context.services, { role: 'editor' })
  const definitions = await listCustomFields(context.services, { workspaceId: workspace.id })
  return { customKeys: definitions.map((d) => `${d.key} (${d.type})`) }
}

export async function action({ request, context }: ActionFunctionArgs) {
  const { services } = context
  const { workspace } = await requireMembership(request, services, { role: 'editor' })
  const form = await readForm(request, services, ImportSchema)
  if (!form.ok) return data({ fieldErrors: form.fieldErrors }, { status: 400 })
  const { importId } = await startContactImport(services, { workspaceId: workspace.id, csv: await form.data.file.text() })
  return redirect(`/app/contacts/imports/${importId}`)
}

export default function ImportContacts() {
  const { customKeys } = useLoaderData<typeof loader>()
  const result = useActionData<typeof action>()
  return (
    <Stack maw={640}>
      <Title order={1}>Import contacts</Title>
      <Text>
        A CSV file with a header line. Columns: <Code>email</Code> (required), <Code>name</Code>, <Code>timezone</Code>, <Code>tags</Code> (separated by
        semicolons){customKeys.length > 0 ? `, and your custom fields: ${customKeys.join(', ')}` : ''}. Every row is checked first: if any row has a problem,
        nothing is imported and you get the list of rows to fix.
      </Text>
      <Form method="post" encType="multipart/form-data">
        <CsrfInput />
        <Stack>
          <FileInput label="CSV file" name="file" accept=".csv,text/csv" required error={result?.fieldErrors.file} />
          <Button type="submit">Import</Button>
        </Stack>
      </Form>
    </Stack>
  )
}
