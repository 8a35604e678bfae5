import { Alert, Button, Group, NativeSelect, Stack, Table, Text, TextInput, Title } from '@mantine/core'
import { data, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node'
import { Form, useActionData, useLoaderData } from '@remix-run/react'
import { z } from 'zod'
import { CsrfInput } from '~/components/csrf-input'
import { requireMembership } from '~/utils/auth.server'
import { readForm } from '~/utils/forms.server'
import { defineCustomField, listCustomFields } from '../core.server'
import { fieldKeyProblem, isStorableText } from '#domain/email/contact'
import { FIELD_TYPES } from '#domain/email/types'

export const meta: MetaFunction = () => [{ title: 'Custom fields · Trickle' }]

const FieldSchema = z.object({
  key: z
    .string()
    .trim()
    .superRefine((key, ctx) => {
      const problem = fieldKeyProblem(key)
      if (problem) ctx.addIssue({ code: 'custom', message: problem })
    }),
  label: z.string().trim().min(1, 'Enter a label').max(100, 'Use at most 100 characters').refine(isStorableText, 'Remove the control characters'),
  type: z.enum(FIELD_TYPES, 'Choose text, number or date'),
})

export async function loader({ request, context }: LoaderFunctionArgs) {
  const { workspace } = await requireMembership(request, context.services)
  const fields = await listCustomFields(context.services, { workspaceId: workspace.id })
  return { fields: fields.map((f) => ({ id: f.id, key: f.key, label: f.label, type: f.type })) }
}

export async function action({ request, context }: ActionFunctionArgs) {
  const { services } = context
  const { workspace } = await requireMembership(request, services, { role: 'editor' })
  const form = await readForm(request, services, FieldSchema)
  if (!form.ok) return data({ fieldErrors: form.fieldErrors, created: null }, { status: 400 })
  const created = await defineCustomField(services, { workspaceId: workspace.id, ...form.data })
  if (!created) return data({ fieldErrors: { key: `A field with the key "${form.data.key}" exists` } as Record<string, string>, created: null }, { status: 400 })
  return { fieldErrors: {} as Record<string, string>, created: created.key }
}

export default function CustomFields() {
  const { fields } = useLoaderData<typeof loader>()
  const result = useActionData<typeof action>()
  const errors: Record<string, string | undefined> = result?.fieldErrors ?? {}
  return (
    <Stack maw={720}>
      <Title order={1}>Custom fields</Title>
      <Text c="dimmed">Fields every contact can have: use the key in merge fields ({'{{ key }}'}), CSV columns and the API.</Text>
      {result?.created ? (
        <Alert color="teal" role="status">
          {`Field "${result.created}" added.`}
        </Alert>
      ) : null}
      {fields.length > 0 ? (
        <Table>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Key</Table.Th>
              <Table.Th>Label</Table.Th>
              <Table.Th>Type</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {fields.map((f) => (
              <Table.Tr key={f.id}>
                <Table.Td>{f.key}</Table.Td>
                <Table.Td>{f.label}</Table.Td>
                <Table.Td>{f.type}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      ) : null}
      <Form method="post">
        <CsrfInput />
        <Group align="start">
          <TextInput label="Key" name="key" placeholder="renewal_date" error={errors.key} />
          <TextInput label="Label" name="label" placeholder="Renewal date" error={errors.label} />
          <NativeSelect label="Type" name="type" data={[...FIELD_TYPES]} error={errors.type} />
          <Button type="submit" mt={25}>
            Add field
          </Button>
        </Group>
      </Form>
    </Stack>
  )
}
