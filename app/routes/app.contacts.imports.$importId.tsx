import { Alert, Anchor, Progress, Stack, Table, Text, Title } from '@mantine/core'
import type { LoaderFunctionArgs, MetaFunction } from '@remix-run/node'
import { Link, useLoaderData, useRevalidator } from '@remix-run/react'
import { useEffect } from 'react'
import { z } from 'zod'
import { notFound, requireMembership } from '~/utils/auth.server'
import { findContactImport } from '../core.server'

export const meta: MetaFunction = () => [{ title: 'Import progress · Trickle' }]

export async function loader({ request, context, params }: LoaderFunctionArgs) {
  const { workspace } = await requireMembership(request, context.services)
  const id = z.uuid().safeParse(params.importId)
  const record = id.success ? await findContactImport(context.services, { workspaceId: workspace.id, importId: id.data }) : null
  if (!record) throw notFound('No such import in this workspace')
  const percent = record.status === 'done' ? 100 : record.totalRows === 0 ? 0 : Math.floor((record.processedRows / record.totalRows) * 100)
  return { status: record.status, totalRows: record.totalRows, processedRows: record.processedRows, importedRows: record.importedRows, errors: record.errors, percent }
}

/** Polls its own loader every half second until the import is done or failed. */
export default function ImportProgress() {
  const { status, totalRows, importedRows, errors, percent } = useLoaderData<typeof loader>()
  const revalidator = useRevalidator()
  const running = status === 'validating' || status === 'importing'
  useEffect(() => {
    if (!running) return
    const timer = setInterval(() => {
      if (revalidator.state === 'idle') revalidator.revalidate()
    }, 500)
    return () => clearInterval(timer)
  }, [running, revalidator])
  return (
    <Stack maw={800}>
      <Title order={1}>Contact import</Title>
      <Progress value={percent} aria-label="Import progress" role="progressbar" aria-valuenow={percent} aria-valuemin={0} aria-valuemax={100} data-status={status} />
      <Text>
        {status === 'validating' ? `Checking rows… (${totalRows} in the file)` : null}
        {status === 'importing' ? 'Saving contacts…' : null}
      </Text>
      {status === 'done' ? (
        <Alert color="teal" role="status" title="Import finished">
          {`Imported ${importedRows} contacts. `}
          <Anchor component={Link} to="/app/contacts">
            See contacts
          </Anchor>
        </Alert>
      ) : null}
      {status === 'failed' ? (
        <>
          <Alert color="red" role="alert" title="Nothing was imported">
            Fix these rows and import the file again ({errors.length} problem{errors.length === 1 ? '' : 's'}; row 1 is the first line after the header).
          </Alert>
          <Table data-testid="import-errors">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Row</Table.Th>
                <Table.Th>Field</Table.Th>
                <Table.Th>Problem</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {errors.map((e, i) => (
                <Table.Tr key={i}>
                  <Table.Td>{e.row === 0 ? 'header' : e.row}</Table.Td>
                  <Table.Td>{e.field}</Table.Td>
                  <Table.Td>{e.message}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </>
      ) : null}
    </Stack>
  )
}
