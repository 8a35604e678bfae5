import { Alert, Anchor, Badge, Button, Group, List, Paper, SimpleGrid, Stack, Text, Textarea, Title } from '@mantine/core'
import { data, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node'
import { Form, Link, useActionData, useLoaderData, useNavigation } from '@remix-run/react'
import { useMemo } from 'react'
import { z } from 'zod'
import { CsrfInput } from '~/components/csrf-input'
import { DripEditor } from '~/components/drip-editor'
import { GeneralErrorBoundary } from '~/components/error-boundary'
import { DripStepTable } from '~/components/drip-step-table'
import { useToast } from '~/components/toasts'
import { InputError } from '~/core.server'
import { notFound, requireMembership } from '~/utils/auth.server'
import { describeTrigger, dripToFormValues } from '#core/drip-form'
import { activateDrip, activationProblems, activationWarnings, countEnrollmentsByTrigger, deleteDrip, enrollContacts, findDripWithSteps, getDrip, loadDripEditorOptions, pauseDrip, saveDripForm } from '../core.server'
import { percent } from '~/utils/format'
import { readFormData } from '~/utils/forms.server'
import { redirectWithToast } from '~/utils/toast.server'

export const meta: MetaFunction<typeof loader> = ({ data }) => [{ title: `${data?.drip.name ?? 'Drip'} · Trickle` }]

/** Where the user fixes what keeps a drip from being activated. */
const FIX_LINKS: Record<string, { to: string; label: string }> = {
  sender: { to: '/app/contacts/sender', label: 'Set up the sender' },
  postalAddress: { to: '/app/contacts/sender', label: 'Add your postal address' },
}

async function loadDripOrThrow(request: Request, services: Parameters<typeof getDrip>[0], dripId: string | undefined, role?: 'editor') {
  const { workspace } = await requireMembership(request, services, role ? { role } : {})
  if (!z.uuid().safeParse(dripId).success) throw notFound('No such drip')
  const row = await findDripWithSteps(services, { workspaceId: workspace.id, dripId: dripId! })
  if (!row) throw notFound('No such drip')
  return { workspace, row }
}

export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const { services } = context
  const { workspace, row } = await loadDripOrThrow(request, services, params.dripId)
  const ids = { workspaceId: workspace.id, dripId: row.drip.id }
  const [drip, problems, warnings, options, enrolledBy] = await Promise.all([
    getDrip(services, ids),
    activationProblems(services, row),
    activationWarnings(services, { workspaceId: workspace.id }),
    loadDripEditorOptions(services, ids),
    countEnrollmentsByTrigger(services, { ...ids, triggers: row.drip.settings.triggers }),
  ])
  const names = new Map([...options.forms, ...options.segments, ...options.dateFields, ...options.drips, { value: row.drip.id, label: row.drip.name }].map((o) => [o.value, o.label]))
  const triggers = drip.settings.triggers.map((t, i) => ({ label: describeTrigger(t, names), enrolled: enrolledBy.byTrigger[i] ?? 0 }))
  if (enrolledBy.other) triggers.push({ label: 'Added by hand, CSV or API', enrolled: enrolledBy.other })
  // An active drip's builder shows, on each step, how many contacts wait for it (refreshed whenever the loader runs again).
  const waiting = drip.status === 'active' ? Object.fromEntries(drip.steps.map((s) => [s.id, s.counts.waiting])) : null
  return { drip, problems, warnings, options, triggers, waiting, initial: dripToFormValues(drip) }
}

const EMAILS = /[^\s,;]+/g

export async function action({ request, params, context }: ActionFunctionArgs) {
  const { services } = context
  const { workspace, row } = await loadDripOrThrow(request, services, params.dripId, 'editor')
  const form = await readFormData(request, services)
  const ids = { workspaceId: workspace.id, dripId: row.drip.id }
  const intent = form.get('intent')
  const fail = (message: string, status = 400, field = 'form') => data({ ok: false as const, message, fieldErrors: { [field]: message }, values: null }, { status })
  try {
    switch (intent) {
      case 'save': {
        const saved = await saveDripForm(services, { ...ids, form })
        if (!saved.ok) return data({ ok: false as const, message: 'The drip was not saved: see the fields marked below.', fieldErrors: saved.fieldErrors, values: saved.values }, { status: saved.status })
        return redirectWithToast(services, `/app/drips/${row.drip.id}`, { kind: 'success', message: 'Drip saved.' })
      }
      case 'activate':
        await activateDrip(services, ids)
        return redirectWithToast(services, `/app/drips/${row.drip.id}`, { kind: 'success', message: 'Drip activated: contacts who enter now get step 1.' })
      case 'pause':
        await pauseDrip(services, ids)
        return redirectWithToast(services, `/app/drips/${row.drip.id}`, { kind: 'info', message: 'Drip paused: contacts keep their place and continue when you activate it again.' })
      case 'delete':
        await deleteDrip(services, ids)
        return redirectWithToast(services, '/app/drips', { kind: 'info', message: `Drip “${row.drip.name}” deleted.` })
      case 'enroll': {
        const emails = String(form.get('emails') ?? '').match(EMAILS) ?? []
        if (emails.length === 0) return fail('Enter at least one email address', 400, 'emails')
        if (emails.length > 1000) return fail('Enter at most 1,000 addresses at a time; import a CSV for more', 400, 'emails')
        const r = await enrollContacts(services, { ...ids, emails, source: 'manual' })
        const unknown = r.unknown.length ? ` Not contacts yet (add them under Contacts first): ${r.unknown.slice(0, 10).join(', ')}${r.unknown.length > 10 ? '…' : ''}.` : ''
        const suppressed = r.suppressed.length
          ? ` Not enrolled because they unsubscribed, bounced or complained: ${r.suppressed.slice(0, 10).join(', ')}${r.suppressed.length > 10 ? '…' : ''}.`
          : ''
        return { ok: true as const, message: `${r.enrolled} enrolled, ${r.existing} already in the drip.${unknown}${suppressed}`, fieldErrors: {}, values: null }
      }
      default:
        return fail('Unknown action')
    }
  } catch (error) {
    if (error instanceof InputError && error.status !== 404) return fail(error.message, error.status, error.field ?? 'form')
    throw error
  }
}

export default function DripPage() {
  const { drip, problems, warnings, options, triggers, waiting, initial } = useLoaderData<typeof loader>()
  const result = useActionData<typeof action>()
  const navigation = useNavigation()
  const busy = (intent: string) => navigation.state === 'submitting' && navigation.formData?.get('intent') === intent
  useToast(useMemo(() => (result?.ok ? { kind: 'success' as const, message: result.message } : null), [result]))
  const errors = result && !result.ok ? result.fieldErrors : {}
  const t = drip.totals
  const stats = [
    { label: 'Enrolled', value: String(t.enrolled) },
    { label: 'Active', value: String(t.active) },
    { label: 'Completed', value: String(t.completed) },
    { label: 'Goal reached', value: String(t.goalReached) },
    { label: 'Sent', value: String(t.sent) },
    { label: 'Open rate', value: percent(t.opened, t.sent) },
    { label: 'Click rate', value: percent(t.clicked, t.sent) },
    { label: 'Unsubscribed', value: String(t.unsubscribed) },
  ]
  return (
    <Stack maw={1100}>
      <Group justify="space-between" align="flex-start">
        <Stack gap={4}>
          <Anchor component={Link} to="/app/drips" size="sm">
            ← All drips
          </Anchor>
          <Group gap="sm">
            <Title order={1}>{drip.name}</Title>
            <Badge color={drip.status === 'active' ? 'teal' : 'gray'} variant="light" size="lg">
              {drip.status === 'active' ? 'Active' : 'Paused'}
            </Badge>
            <Anchor component={Link} to={`/app/drips/${drip.id}/analytics`} size="sm">
              Analytics
            </Anchor>
          </Group>
        </Stack>
        <Form method="post">
          <CsrfInput />
          {drip.status === 'active' ? (
            <Button type="submit" name="intent" value="pause" variant="default" loading={busy('pause')}>
              Pause
            </Button>
          ) : (
            <Button type="submit" name="intent" value="activate" disabled={problems.length > 0} loading={busy('activate')}>
              Activate
            </Button>
          )}
        </Form>
      </Group>

      {result && !result.ok && !result.values ? (
        <Alert color="red" role="alert" title="That did not work">
          {result.message}
        </Alert>
      ) : null}
      {drip.status === 'paused' && problems.length ? (
        <Alert color="yellow" title="Before this drip can be activated">
          <List size="sm">
            {problems.map((p) => (
              <List.Item key={p.field}>
                {p.message}
                {FIX_LINKS[p.field] ? (
                  <>
                    {' '}
                    <Anchor component={Link} to={FIX_LINKS[p.field]!.to}>
                      {FIX_LINKS[p.field]!.label}
                    </Anchor>
                  </>
                ) : null}
              </List.Item>
            ))}
          </List>
        </Alert>
      ) : null}
      {drip.status === 'paused' && warnings.length ? (
        <Alert color="blue" title="Worth checking before this drip goes live (it can run without)">
          <List size="sm">
            {warnings.map((w) => (
              <List.Item key={w.field}>
                <strong>{w.message}.</strong> {w.next}
              </List.Item>
            ))}
          </List>
        </Alert>
      ) : null}

      <SimpleGrid cols={{ base: 2, sm: 4 }} spacing="sm">
        {stats.map((s) => (
          <Paper key={s.label} withBorder p="sm">
            <Text size="xs" c="dimmed">
              {s.label}
            </Text>
            <Text fw={700} size="xl" data-total={s.label}>
              {s.value}
            </Text>
          </Paper>
        ))}
      </SimpleGrid>

      <Paper withBorder p="md" component="section" aria-labelledby="triggers-title">
        <Title order={2} size="h3" id="triggers-title">
          Enrolled by trigger
        </Title>
        <List size="sm" mt="xs">
          {triggers.map((t) => (
            <List.Item key={t.label}>
              {t.label}: <strong>{t.enrolled}</strong>
            </List.Item>
          ))}
        </List>
      </Paper>

      <Title order={2}>Steps</Title>
      <DripStepTable drip={drip} label="Per-step counts" />

      <Paper withBorder p="md" component="section" aria-labelledby="enroll-title" maw={560}>
        <Form method="post">
          <CsrfInput />
          <Stack>
            <Title order={2} size="h3" id="enroll-title">
              Enroll contacts
            </Title>
            <Textarea label="Email addresses of existing contacts" description="One per line or comma-separated" name="emails" autosize minRows={2} error={errors.emails} />
            <Button type="submit" name="intent" value="enroll" variant="default" loading={busy('enroll')} w="fit-content">
              Enroll
            </Button>
            <Anchor component={Link} to={`/app/drips/${drip.id}/enroll`} size="sm">
              Enroll a segment or a CSV file
            </Anchor>
          </Stack>
        </Form>
      </Paper>

      <Title order={2}>Edit</Title>
      {drip.status === 'active' ? <Text size="sm">Changes apply to the next step each contact gets; steps already sent are not sent again.</Text> : null}
      <DripEditor key={result?.values ? 'retry' : String(drip.updatedAt)} initial={result?.values ?? initial} options={options} errors={result?.values ? errors : {}} submitLabel="Save changes" waiting={waiting} />

      <Form
        method="post"
        onSubmit={(e) => {
          if (!confirm(`Delete “${drip.name}”? Its enrollments and counts are deleted too.`)) e.preventDefault()
        }}
      >
        <CsrfInput />
        <Button type="submit" name="intent" value="delete" color="red" variant="subtle" loading={busy('delete')}>
          Delete drip
        </Button>
      </Form>
    </Stack>
  )
}

export function ErrorBoundary() {
  return <GeneralErrorBoundary />
}
