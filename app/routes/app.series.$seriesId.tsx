import { Alert, Badge, Button, Card, Group, Radio, Stack, Text, Textarea, Title } from '@mantine/core'
import { data, redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node'
import { Form, Link, useActionData, useLoaderData } from '@remix-run/react'
import { z } from 'zod'
import { ApprovalBadge, type Approval } from '~/components/approval-badge'
import { CsrfInput } from '~/components/csrf-input'
import { GeneralErrorBoundary } from '~/components/error-boundary'
import { SeriesEditor } from '~/components/series-editor'
import { SeriesSchedule } from '~/components/series-schedule'
import { evergreenValue } from '~/components/evergreen-field'
import { notFound, requireMembership, roleAtLeast } from '~/utils/auth.server'
import { readForm, readFormBody } from '~/utils/forms.server'
import {
  approveSeries,
  loadEditorOptions,
  loadSeries,
  pauseSeries,
  ApprovalActionSchema,
  requestChanges,
  resumeSeries,
  saveSeriesForm,
  SeriesFormSchema,
  InputError,
  submitForApproval,
  fieldErrorsForPeople,
} from '../core.server'

export const meta: MetaFunction<typeof loader> = ({ data }) => [{ title: `${data?.series.name ?? 'Series'} · Trickle` }]

export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const { services } = context
  const { workspace, membership } = await requireMembership(request, services)
  const series = await loadSeries(services, { workspaceId: workspace.id, seriesId: params.seriesId! }).catch(() => null)
  if (!series) throw notFound('No such series in this workspace')
  return { series, ...(await loadEditorOptions(services, { workspaceId: workspace.id })), canEdit: roleAtLeast(membership.role, 'editor'), isOwner: membership.role === 'owner' }
}

const StatusSchema = z.discriminatedUnion('intent', [
  z.object({ intent: z.literal('pause') }),
  z.object({ intent: z.literal('resume'), policy: z.enum(['shift', 'skip'], { error: 'policy: choose shift or skip' }) }),
])

export async function action({ request, params, context }: ActionFunctionArgs) {
  const { services } = context
  const { workspace, user, membership } = await requireMembership(request, services, { role: 'editor' })
  const actor = { userId: user.id, role: membership.role }
  const seriesId = z.uuid().safeParse(params.seriesId).success ? params.seriesId! : null
  if (!seriesId || !(await loadSeries(services, { workspaceId: workspace.id, seriesId }))) throw notFound('No such series in this workspace')
  const intent = (await readFormBody(request.clone())).get('intent')
  if (intent === 'submit' || intent === 'approve' || intent === 'request-changes') {
    const form = await readForm(request, services, ApprovalActionSchema)
    if (!form.ok) return data({ fieldErrors: fieldErrorsForPeople(form.fieldErrors) }, { status: 400 })
    try {
      if (form.data.intent === 'submit') await submitForApproval(services, { workspaceId: workspace.id, seriesId, actor })
      else if (form.data.intent === 'approve') await approveSeries(services, { workspaceId: workspace.id, seriesId, actor })
      else await requestChanges(services, { workspaceId: workspace.id, seriesId, actor, comment: form.data.comment })
    } catch (error) {
      if (error instanceof InputError) return data({ fieldErrors: { [error.field ?? 'form']: error.message } }, { status: error.status })
      throw error
    }
    return redirect(`/app/series/${seriesId}?${intent === 'submit' ? 'submitted' : intent === 'approve' ? 'approved' : 'returned'}=1`)
  }
  if (intent === 'pause' || intent === 'resume') {
    const form = await readForm(request, services, StatusSchema)
    if (!form.ok) return data({ fieldErrors: fieldErrorsForPeople(form.fieldErrors) }, { status: 400 })
    try {
      if (form.data.intent === 'pause') await pauseSeries(services, { workspaceId: workspace.id, seriesId })
      else await resumeSeries(services, { workspaceId: workspace.id, seriesId, policy: form.data.policy })
    } catch (error) {
      if (error instanceof InputError) return data({ fieldErrors: { [error.field ?? 'form']: error.message } }, { status: error.status })
      throw error
    }
    return redirect(`/app/series/${seriesId}`)
  }
  const form = await readForm(request, services, SeriesFormSchema)
  if (!form.ok) return data({ fieldErrors: fieldErrorsForPeople(form.fieldErrors) }, { status: 400 })
  const saved = await saveSeriesForm(services, { workspaceId: workspace.id, seriesId, input: form.data, actor })
  if (!saved.ok) return data({ fieldErrors: saved.fieldErrors }, { status: saved.status })
  return redirect(`/app/series/${seriesId}?saved=1`)
}

export default function EditSeries() {
  const { series, accounts, timezones, hashtagGroups, canEdit, isOwner } = useLoaderData<typeof loader>()
  const result = useActionData<typeof action>()
  const errors = result?.fieldErrors ?? {}
  return (
    <Stack maw={800}>
      <Group justify="space-between">
        <Title order={1}>{series.name}</Title>
        <Group gap="xs">
          <ApprovalBadge approval={series.approval} />
          {series.approval === 'approved' ? (
            <Badge color={series.runState === 'paused' ? 'orange' : series.runState === 'finished' ? 'gray' : 'teal'} size="lg">
              {series.runState === 'paused' ? 'Paused' : series.runState === 'finished' ? 'Finished' : 'Active'}
            </Badge>
          ) : null}
        </Group>
      </Group>
      {series.approval !== 'approved' ? <ApprovalCard series={series} canEdit={canEdit} isOwner={isOwner} errors={errors} /> : null}
      <Text>
        Posts go out {series.text} ({series.timezone}). <Link to={`/app/calendar?series=${series.id}`}>See it on the calendar</Link> ·{' '}
        <Link to={`/app/series/${series.id}/analytics`}>Analytics</Link>
      </Text>
      {canEdit && series.approval === 'approved' ? (
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
      <SeriesSchedule posts={series.deliveries} timezone={series.timezone} />
      <Title order={2}>Edit</Title>
      <SeriesEditor
        initial={{ name: series.name, posts: series.content, accountIds: series.accountIds, rule: series.rule, start: series.start, timezone: series.timezone, shortLinks: series.shortLinks, campaign: series.campaign, evergreen: evergreenValue(series.evergreen) }}
        accounts={accounts}
        timezones={timezones}
        hashtagGroups={hashtagGroups}
        errors={errors}
        submitLabel={!isOwner && series.approval === 'approved' ? 'Save and send for approval' : 'Save changes'}
        seriesId={series.id}
      />
    </Stack>
  )
}

/** Where the series stands and what the viewer can do: editors submit, owners approve or send it back. */
function ApprovalCard(props: {
  series: { approval: Approval; approvalComment: string | null }
  canEdit: boolean
  isOwner: boolean
  errors: Record<string, string>
}) {
  const { series, errors } = props
  const message = {
    draft: 'This series is a draft: nothing is published until it is submitted and an owner approves it.',
    pending_approval: 'This series waits for an owner’s approval. Nothing is published until then; posts whose dates pass meanwhile take the next dates.',
    changes_requested: 'An owner asked for changes. Edit the posts, then submit the series again.',
    approved: '',
  }[series.approval]
  return (
    <Card withBorder aria-label="Approval">
      <Stack gap="sm">
        <Text>{message}</Text>
        {series.approvalComment ? (
          <Alert color="orange" title="Requested changes">
            {series.approvalComment}
          </Alert>
        ) : null}
        {errors.role || errors.approval || errors.comment ? (
          <Alert color="red" role="alert">
            {errors.role ?? errors.approval ?? errors.comment}
          </Alert>
        ) : null}
        {props.canEdit && series.approval !== 'pending_approval' ? (
          <Form method="post">
            <CsrfInput />
            <input type="hidden" name="intent" value="submit" />
            <Button type="submit">Submit for approval</Button>
          </Form>
        ) : null}
        {props.isOwner ? (
          <Group align="flex-end">
            <Form method="post">
              <CsrfInput />
              <input type="hidden" name="intent" value="approve" />
              <Button type="submit" color="teal">
                Approve
              </Button>
            </Form>
            <Form method="post" style={{ flex: 1 }}>
              <CsrfInput />
              <input type="hidden" name="intent" value="request-changes" />
              <Group align="flex-end">
                <Textarea name="comment" label="Comment for the editor" required autosize minRows={1} style={{ flex: 1 }} error={errors.comment} />
                <Button type="submit" variant="default">
                  Request changes
                </Button>
              </Group>
            </Form>
          </Group>
        ) : null}
      </Stack>
    </Card>
  )
}

export function ErrorBoundary() {
  return <GeneralErrorBoundary />
}
