import { Alert, Badge, Button, Card, Group, Radio, Stack, Text, Title } from '@mantine/core'
import { data, redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node'
import { Form, Link, useActionData, useLoaderData } from '@remix-run/react'
import { z } from 'zod'
import { CsrfInput } from '~/components/csrf-input'
import { GeneralErrorBoundary } from '~/components/error-boundary'
import { SeriesEditor } from '~/components/series-editor'
import { notFound, requireMembership, roleAtLeast } from '~/utils/auth.server'
import { readForm } from '~/utils/forms.server'
import { loadEditorOptions, loadSeries, pauseSeries, resumeSeries, saveSeriesForm, SeriesFormSchema, SeriesInputError } from '~/utils/series.server'

export const meta: MetaFunction<typeof loader> = ({ data }) => [{ title: `${data?.series.name ?? 'Series'} · Trickle` }]

export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const { services } = context
  const { workspace, membership } = await requireMembership(request, services)
  const series = await loadSeries(services, { workspaceId: workspace.id, seriesId: params.seriesId! }).catch(() => null)
  if (!series) throw notFound('No such series in this workspace')
  return { series, ...(await loadEditorOptions(services, { workspaceId: workspace.id })), canEdit: roleAtLeast(membership.role, 'editor') }
}

const StatusSchema = z.discriminatedUnion('intent', [
  z.object({ intent: z.literal('pause') }),
  z.object({ intent: z.literal('resume'), policy: z.enum(['shift', 'skip'], { error: 'policy: choose shift or skip' }) }),
])

export async function action({ request, params, context }: ActionFunctionArgs) {
  const { services } = context
  const { workspace } = await requireMembership(request, services, { role: 'editor' })
  const seriesId = z.uuid().safeParse(params.seriesId).success ? params.seriesId! : null
  if (!seriesId || !(await loadSeries(services, { workspaceId: workspace.id, seriesId }))) throw notFound('No such series in this workspace')
  const intent = (await request.clone().formData()).get('intent')
  if (intent === 'pause' || intent === 'resume') {
    const form = await readForm(request, services, StatusSchema)
    if (!form.ok) return data({ fieldErrors: form.fieldErrors }, { status: 400 })
    try {
      if (form.data.intent === 'pause') await pauseSeries(services, { workspaceId: workspace.id, seriesId })
      else await resumeSeries(services, { workspaceId: workspace.id, seriesId, policy: form.data.policy })
    } catch (error) {
      if (error instanceof SeriesInputError) return data({ fieldErrors: { [error.field]: error.message } }, { status: error.status })
      throw error
    }
    return redirect(`/app/series/${seriesId}`)
  }
  const form = await readForm(request, services, SeriesFormSchema)
  if (!form.ok) return data({ fieldErrors: form.fieldErrors }, { status: 400 })
  const saved = await saveSeriesForm(services, { workspaceId: workspace.id, seriesId, input: form.data })
  if (!saved.ok) return data({ fieldErrors: saved.fieldErrors }, { status: saved.status })
  return redirect(`/app/series/${seriesId}?saved=1`)
}

export default function EditSeries() {
  const { series, accounts, timezones, canEdit } = useLoaderData<typeof loader>()
  const result = useActionData<typeof action>()
  const errors = result?.fieldErrors ?? {}
  return (
    <Stack maw={800}>
      <Group justify="space-between">
        <Title order={1}>{series.name}</Title>
        <Badge color={series.status === 'paused' ? 'orange' : 'teal'} size="lg">
          {series.status === 'paused' ? 'Paused' : 'Active'}
        </Badge>
      </Group>
      <Text>
        Posts go out {series.text} ({series.timezone}). <Link to={`/app/calendar?series=${series.id}`}>See it on the calendar</Link>
      </Text>
      {canEdit ? (
        <Card withBorder>
          {series.paused ? (
            <Form method="post">
              <CsrfInput />
              <input type="hidden" name="intent" value="resume" />
              <Stack gap="xs">
                <Radio.Group name="policy" label="Resume: what about the dates that passed while paused?" defaultValue="shift">
                  <Stack gap={4} mt={4}>
                    <Radio value="shift" label="Shift: those posts take the next dates (nothing is lost, the series ends later)" />
                    <Radio value="skip" label="Skip: those posts are left out; the others keep their dates" />
                  </Stack>
                </Radio.Group>
                <Group>
                  <Button type="submit">Resume series</Button>
                </Group>
              </Stack>
            </Form>
          ) : (
            <Form method="post">
              <CsrfInput />
              <input type="hidden" name="intent" value="pause" />
              <Group justify="space-between">
                <Text size="sm">Pausing stops publishing at once. When you resume you choose whether the missed dates shift or are skipped — posts never burst out.</Text>
                <Button type="submit" variant="default">
                  Pause series
                </Button>
              </Group>
            </Form>
          )}
        </Card>
      ) : null}
      {errors.intent ? <Alert color="red" role="alert">{errors.intent}</Alert> : null}
      <Title order={2}>Edit</Title>
      <SeriesEditor
        initial={{ name: series.name, posts: series.posts, accountIds: series.accountIds, rule: series.rule, start: series.start, timezone: series.timezone }}
        accounts={accounts}
        timezones={timezones}
        errors={errors}
        submitLabel="Save changes"
        seriesId={series.id}
      />
    </Stack>
  )
}

export function ErrorBoundary() {
  return <GeneralErrorBoundary />
}
