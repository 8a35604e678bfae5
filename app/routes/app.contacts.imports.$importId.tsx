import { Alert, Anchor, Stack, Text, Title } from '@mantine/core'
import type { LoaderFunctionArgs, MetaFunction } from '@remix-run/node'
import { Link, useLoaderData } from '@remix-run/react'
import { z } from 'zod'
import { RunProblems, RunProgressBar, runPercent, usePollWhileRunning } from '~/components/run-progress'
import { notFound, requireMembership } from '~/utils/auth.server'
import { findContactImport } from '../core.server'

export const meta: MetaFunction = () => [{ title: 'Import progress · Trickle' }]

export async function loader({ request, context, params }: LoaderFunctionArgs) {
  const { workspace } = await requireMembership(request, context.services)
  const id = z.uuid().safeParse(params.importId)
  const record = id.success ? await findContactImport(context.services, { workspaceId: workspace.id, importId: id.data }) : null
  if (!record) throw notFound('No such import in this workspace')
  return { status: record.status, totalRows: record.totalRows, importedRows: record.importedRows, errors: record.errors, percent: runPercent(record) }
}

/** Polls its own loader every half second until the import is done or failed. */
export default function ImportProgress() {
  const { status, totalRows, importedRows, errors, percent } = useLoaderData<typeof loader>()
  usePollWhileRunning(status)
  return (
    <Stack maw={800}>
      <Title order={1}>Contact import</Title>
      <RunProgressBar label="Import progress" percent={percent} status={status} />
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
          <RunProblems testId="import-errors" columns={['Row', 'Field', 'Problem']} rows={errors.map((e) => [e.row === 0 ? 'header' : e.row, e.field, e.message])} />
        </>
      ) : null}
    </Stack>
  )
}
