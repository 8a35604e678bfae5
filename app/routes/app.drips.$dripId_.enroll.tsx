import { Alert, Anchor, Button, FileInput, NativeSelect, Paper, SimpleGrid, Stack, Table, Text, Title } from '@mantine/core'
import { data, redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node'
import { Form, Link, useActionData, useLoaderData, useNavigation } from '@remix-run/react'
import { z } from 'zod'
import { CsrfInput } from '~/components/csrf-input'
import { GeneralErrorBoundary } from '~/components/error-boundary'
import { LocalTime } from '~/components/time'
import { notFound, requireMembership } from '~/utils/auth.server'
import { readForm } from '~/utils/forms.server'
import { findDripWithSteps, InputError, loadBulkEnrollPage, startBulkEnrollment } from '../core.server'

export const meta: MetaFunction<typeof loader> = ({ data }) => [{ title: `Enroll into ${data?.drip.name ?? 'a drip'} · Trickle` }]

/** The drip of this workspace, or a 404 (the same for an unknown id and another workspace's). */
async function findDripOrThrow(services: Parameters<typeof findDripWithSteps>[0], workspaceId: string, dripId: string | undefined) {
  const id = z.uuid().safeParse(dripId)
  const row = id.success ? await findDripWithSteps(services, { workspaceId, dripId: id.data }) : null
  if (!row) throw notFound('No such drip')
  return row.drip
}

export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const { services } = context
  const { workspace } = await requireMembership(request, services, { role: 'editor' })
  const drip = await findDripOrThrow(services, workspace.id, params.dripId)
  const { segments, runs } = await loadBulkEnrollPage(services, { workspaceId: workspace.id, dripId: drip.id })
  return {
    drip: { id: drip.id, name: drip.name, status: drip.status },
    segments,
    runs: runs.map((r) => ({ id: r.id, from: r.segmentId ? (segments.find((s) => s.id === r.segmentId)?.name ?? 'a deleted segment') : 'CSV file', status: r.status, enrolled: r.importedRows, createdAt: r.createdAt.toISOString(), startedBy: r.startedBy })),
  }
}

const EnrollFormSchema = z.object({
  from: z.enum(['segment', 'csv'], { error: 'Choose a segment or a CSV file' }),
  segmentId: z.string().optional(),
  file: z.custom<File>((v) => typeof File !== 'undefined' && v instanceof File, 'Choose a CSV file').optional(),
})

/** Queue the bulk enrollment and go to its progress page; bad input comes back under its field. */
export async function action({ request, params, context }: ActionFunctionArgs) {
  const { services } = context
  const { workspace, user } = await requireMembership(request, services, { role: 'editor' })
  // The body first (415 for anything but a form, 403 without the CSRF token), then the drip.
  const form = await readForm(request, services, EnrollFormSchema)
  const drip = await findDripOrThrow(services, workspace.id, params.dripId)
  if (!form.ok) return data({ fieldErrors: form.fieldErrors }, { status: 400 })
  const { from, segmentId, file } = form.data
  const input = from === 'segment' ? { from, segmentId } : { from, file: file && file.size > 0 ? await file.text() : undefined }
  try {
    const run = await startBulkEnrollment(services, { workspaceId: workspace.id, dripId: drip.id, input, startedBy: user.email })
    return redirect(`/app/drips/${drip.id}/enroll/${run.id}`)
  } catch (error) {
    if (!(error instanceof InputError)) throw error
    const field = error.field ?? 'from'
    return data({ fieldErrors: { [field]: error.message.replace(`${field}: `, '') } as Record<string, string> }, { status: error.status })
  }
}

export default function EnrollIntoDrip() {
  const { drip, segments, runs } = useLoaderData<typeof loader>()
  const result = useActionData<typeof action>()
  const navigation = useNavigation()
  const busy = (from: string) => navigation.state === 'submitting' && navigation.formData?.get('from') === from
  const errors: Record<string, string | undefined> = result?.fieldErrors ?? {}
  return (
    <Stack maw={1000}>
      <Anchor component={Link} to={`/app/drips/${drip.id}`} size="sm">
        ← {drip.name}
      </Anchor>
      <Title order={1}>Enroll contacts into {drip.name}</Title>
      <Text>
        Everyone is enrolled in the background; the next page shows the progress. Contacts already in the drip are not enrolled again, and contacts no step can reach are
        skipped (counted, never mailed): unconfirmed contacts, and for email steps unsubscribed, bounced or suppressed addresses. A drip with texts,
        postcards or actions still takes an email-unsubscribed or bounced contact for those steps (its emails are skipped).
        {drip.status !== 'active' ? ' The drip is paused: enrolled contacts wait until it is activated.' : ''}
      </Text>
      {errors.from || errors.dripId ? (
        <Alert color="red" role="alert">
          {errors.from ?? errors.dripId}
        </Alert>
      ) : null}
      <SimpleGrid cols={{ base: 1, sm: 2 }} spacing="lg">
        <Paper withBorder p="md" component="section" aria-labelledby="enroll-segment-title">
          <Form method="post">
            <CsrfInput />
            <input type="hidden" name="from" value="segment" />
            <Stack>
              <Title order={2} size="h3" id="enroll-segment-title">
                A segment
              </Title>
              {segments.length === 0 ? (
                <Text size="sm">
                  No segments yet. <Anchor component={Link} to="/app/contacts/segments/new">Create one</Anchor>.
                </Text>
              ) : (
                <>
                  <NativeSelect label="Segment" name="segmentId" data={segments.map((s) => ({ value: s.id, label: s.name }))} error={errors.segmentId} />
                  <Button type="submit" loading={busy('segment')} w="fit-content">
                    Enroll the segment
                  </Button>
                </>
              )}
            </Stack>
          </Form>
        </Paper>
        <Paper withBorder p="md" component="section" aria-labelledby="enroll-csv-title">
          <Form method="post" encType="multipart/form-data">
            <CsrfInput />
            <input type="hidden" name="from" value="csv" />
            <Stack>
              <Title order={2} size="h3" id="enroll-csv-title">
                A CSV file
              </Title>
              <FileInput
                label="CSV file"
                description="Existing contacts' addresses: a column named “email”, or one address per line"
                name="file"
                accept=".csv,text/csv,text/plain"
                error={errors.file}
              />
              <Button type="submit" loading={busy('csv')} w="fit-content">
                Enroll the file
              </Button>
            </Stack>
          </Form>
        </Paper>
      </SimpleGrid>
      {runs.length > 0 ? (
        <>
          <Title order={2}>Recent bulk enrollments</Title>
          <Table>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Started</Table.Th>
                <Table.Th>From</Table.Th>
                <Table.Th>By</Table.Th>
                <Table.Th>Status</Table.Th>
                <Table.Th>Enrolled</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {runs.map((r) => (
                <Table.Tr key={r.id}>
                  <Table.Td>
                    <Anchor component={Link} to={`/app/drips/${drip.id}/enroll/${r.id}`}>
                      <LocalTime at={r.createdAt} />
                    </Anchor>
                  </Table.Td>
                  <Table.Td>{r.from}</Table.Td>
                  <Table.Td>{r.startedBy ?? '—'}</Table.Td>
                  <Table.Td>{r.status === 'validating' ? 'queued' : r.status === 'importing' ? 'enrolling' : r.status}</Table.Td>
                  <Table.Td>{r.enrolled}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </>
      ) : null}
    </Stack>
  )
}

export function ErrorBoundary() {
  return <GeneralErrorBoundary />
}
