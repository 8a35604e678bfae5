import { Alert, Anchor, List, Stack, Text, Title } from '@mantine/core'
import type { LoaderFunctionArgs, MetaFunction } from '@remix-run/node'
import { Link, useLoaderData } from '@remix-run/react'
import { z } from 'zod'
import { GeneralErrorBoundary } from '~/components/error-boundary'
import { RunProblems, RunProgressBar, runPercent, usePollWhileRunning } from '~/components/run-progress'
import { notFound, requireMembership } from '~/utils/auth.server'
import { findBulkEnrollment, findDripWithSteps } from '../core.server'

export const meta: MetaFunction = () => [{ title: 'Enrollment progress · Trickle' }]

export async function loader({ request, context, params }: LoaderFunctionArgs) {
  const { services } = context
  const { workspace } = await requireMembership(request, services)
  const dripId = z.uuid().safeParse(params.dripId)
  const runId = z.uuid().safeParse(params.runId)
  const run = dripId.success && runId.success ? await findBulkEnrollment(services, { workspaceId: workspace.id, runId: runId.data }) : null
  const drip = run && run.sequenceId === dripId.data ? await findDripWithSteps(services, { workspaceId: workspace.id, dripId: run.sequenceId }) : null
  if (!run || !drip) throw notFound('No such enrollment in this workspace')
  return {
    drip: { id: drip.drip.id, name: drip.drip.name },
    fromSegment: run.segmentId !== null,
    status: run.status,
    totalRows: run.totalRows,
    processedRows: run.processedRows,
    counts: { enrolled: run.importedRows, existing: run.existingRows, suppressed: run.suppressedRows, invalid: run.invalidRows },
    errors: run.errors,
    percent: runPercent(run),
  }
}

/** Polls its own loader every half second until the run is done or failed. */
export default function EnrollmentProgress() {
  const { drip, fromSegment, status, totalRows, processedRows, counts, errors, percent } = useLoaderData<typeof loader>()
  usePollWhileRunning(status)
  const unit = fromSegment ? 'contacts checked' : 'rows'
  return (
    <Stack maw={800}>
      <Anchor component={Link} to={`/app/drips/${drip.id}`} size="sm">
        ← {drip.name}
      </Anchor>
      <Title order={1}>Enrolling into {drip.name}</Title>
      <RunProgressBar label="Enrollment progress" percent={percent} status={status} />
      <Text role="status">
        {status === 'validating' ? 'Queued: starting shortly…' : null}
        {status === 'importing' ? `Enrolling… ${processedRows} of ${totalRows} ${unit}` : null}
        {status === 'done' ? `Finished: ${processedRows} ${unit}.` : null}
        {status === 'failed' ? 'Stopped.' : null}
      </Text>
      <List data-testid="enrollment-counts">
        <List.Item>Enrolled: {counts.enrolled}</List.Item>
        <List.Item>Already in the drip: {counts.existing}</List.Item>
        <List.Item>Skipped, not mailable (unsubscribed, bounced, unconfirmed or suppressed): {counts.suppressed}</List.Item>
        {fromSegment ? null : <List.Item>Invalid rows: {counts.invalid}</List.Item>}
      </List>
      {status === 'failed' ? (
        <Alert color="red" role="alert" title="The enrollment stopped">
          {errors.at(-1)?.message ?? 'It stopped on an error.'} Contacts enrolled before it stopped stay enrolled.
        </Alert>
      ) : null}
      {!fromSegment && errors.length > 0 ? (
        <>
          <Title order={2}>Rows not enrolled</Title>
          {counts.invalid > errors.length ? <Text size="sm">The first {errors.length} of {counts.invalid}:</Text> : null}
          <RunProblems testId="enrollment-errors" columns={['Line', 'Problem']} rows={errors.map((e) => [e.line ?? '—', e.message])} />
        </>
      ) : null}
    </Stack>
  )
}

export function ErrorBoundary() {
  return <GeneralErrorBoundary />
}
