import { Anchor, Button, Group, NativeSelect, Stack, Table, Text, TextInput, Title, VisuallyHidden } from '@mantine/core'
import { data, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node'
import { Form, Link, useActionData, useLoaderData, useNavigation, useSearchParams } from '@remix-run/react'
import { useState } from 'react'
import { CsrfInput } from '~/components/csrf-input'
import { GeneralErrorBoundary } from '~/components/error-boundary'
import { FormAlert } from '~/components/form-alert'
import { notFound, requireMembership } from '~/utils/auth.server'
import { readFormData } from '~/utils/forms.server'
import { redirectWithToast } from '~/utils/toast.server'
import { InputError, listScoreRules, removeScoreRule, saveScoreRuleForm, scoreRuleIdOf } from '../core.server'

export const meta: MetaFunction = () => [{ title: 'Score rules · Trickle' }]

const PAGE = '/app/contacts/score-rules'

const KINDS = [
  { value: 'opened', label: 'Opens an email' },
  { value: 'clicked', label: 'Clicks a link in an email' },
  { value: 'event', label: 'Sends an API event' },
  { value: 'inactive', label: 'Does nothing for a while (decay)' },
]

export async function loader({ request, context }: LoaderFunctionArgs) {
  const { services } = context
  const { workspace } = await requireMembership(request, services)
  const rules = await listScoreRules(services, { workspaceId: workspace.id })
  return { rules: rules.map((r) => ({ id: r.id, on: r.on, name: r.name, points: r.points, everyDays: r.everyDays, label: r.label })) }
}

export async function action({ request, context }: ActionFunctionArgs) {
  const { services } = context
  const { workspace, user } = await requireMembership(request, services, { role: 'editor' })
  const form = await readFormData(request, services)
  const actor = { workspaceId: workspace.id, actorUserId: user.id }
  try {
    // The same 404 for an unknown id and another workspace's rule.
    const ruleId = form.get('ruleId') ? scoreRuleIdOf({ ruleId: String(form.get('ruleId')) }) : undefined
    if (form.get('intent') === 'remove' && ruleId) {
      await removeScoreRule(services, { ...actor, ruleId })
      return redirectWithToast(services, PAGE, { kind: 'info', message: 'Rule removed. Score changes it made stay in the contacts’ history.' })
    }
    const saved = await saveScoreRuleForm(services, { ...actor, ruleId, form })
    if (!saved.ok) return data({ fieldErrors: saved.fieldErrors, values: { on: String(form.get('on') ?? ''), name: String(form.get('name') ?? ''), points: String(form.get('points') ?? ''), everyDays: String(form.get('everyDays') ?? '') } }, { status: saved.status })
    return redirectWithToast(services, PAGE, { kind: 'success', message: `Rule saved: ${saved.rule.label}. It applies from now on.` })
  } catch (error) {
    if (error instanceof InputError && error.status === 404) throw notFound('No such score rule')
    throw error
  }
}

type RuleValues = { on: string; name: string; points: string; everyDays: string }

export default function ScoreRules() {
  const { rules } = useLoaderData<typeof loader>()
  const result = useActionData<typeof action>()
  const [params] = useSearchParams()
  const editing = rules.find((r) => r.id === params.get('edit')) ?? null
  const initial: RuleValues = result?.values ?? {
    on: editing?.on ?? 'event',
    name: editing?.name ?? '',
    points: editing ? String(editing.points) : '',
    everyDays: String(editing?.everyDays ?? 30),
  }
  return (
    <Stack maw={800}>
      <Title order={1}>Score rules</Title>
      <Text c="dimmed">
        A contact’s lead score goes up (or down) with what they do; segments and drip conditions can use it. A rule applies from the moment it is saved, and each
        contact’s page shows which rules changed its score, and when.
      </Text>
      {rules.length === 0 ? (
        <Text>No rules: scores do not change.</Text>
      ) : (
        <Table.ScrollContainer minWidth={480} type="native">
          <Table>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Rule</Table.Th>
                <Table.Th>
                  <VisuallyHidden>Actions</VisuallyHidden>
                </Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {rules.map((r) => (
                <Table.Tr key={r.id}>
                  <Table.Td>{r.label}</Table.Td>
                  <Table.Td>
                    <Group gap="xs" justify="flex-end" wrap="nowrap">
                      <Button component={Link} to={`?edit=${r.id}`} variant="default" size="xs" aria-label={`Edit “${r.label}”`}>
                        Edit
                      </Button>
                      <Form method="post">
                        <CsrfInput />
                        <input type="hidden" name="ruleId" value={r.id} />
                        <Button type="submit" name="intent" value="remove" variant="subtle" color="red" size="xs" aria-label={`Remove “${r.label}”`}>
                          Remove
                        </Button>
                      </Form>
                    </Group>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
      <Title order={2}>{editing ? `Edit “${editing.label}”` : 'Add a rule'}</Title>
      {/* Keyed: another rule to edit, or the answer to a save, starts the form afresh. */}
      <RuleForm key={`${editing?.id ?? 'new'}:${JSON.stringify(result ?? null)}`} ruleId={editing?.id ?? null} initial={initial} errors={result?.fieldErrors ?? {}} />
    </Stack>
  )
}

function RuleForm({ ruleId, initial, errors }: { ruleId: string | null; initial: RuleValues; errors: Record<string, string | undefined> }) {
  const navigation = useNavigation()
  const [on, setOn] = useState(initial.on)
  return (
    <>
      <FormAlert message={errors.form} />
      <Form method="post" aria-label={ruleId ? 'Edit the rule' : 'Add a rule'}>
        <CsrfInput />
        {ruleId ? <input type="hidden" name="ruleId" value={ruleId} /> : null}
        <Stack>
          <NativeSelect label="When a contact" name="on" data={KINDS} value={on} onChange={(e) => setOn(e.currentTarget.value)} error={errors.on} />
          {on === 'event' ? (
            <TextInput label="Event name" name="name" defaultValue={initial.name} placeholder="demo_booked" description="The type sent to POST /api/v1/events" error={errors.name} />
          ) : null}
          {on === 'inactive' ? (
            <TextInput
              label="Every (days without activity)"
              name="everyDays"
              inputMode="numeric"
              defaultValue={initial.everyDays}
              description="Opens, clicks and API events count as activity. A decay never takes a score below zero."
              error={errors.everyDays}
            />
          ) : null}
          <TextInput
            label="Points"
            name="points"
            inputMode="decimal"
            defaultValue={initial.points}
            placeholder={on === 'inactive' ? '-5' : '10'}
            description={on === 'inactive' ? 'Negative: the points taken away each period' : 'Negative to take points away'}
            error={errors.points}
          />
          <Group>
            <Button type="submit" name="intent" value="save" loading={navigation.state === 'submitting' && navigation.formData?.get('intent') === 'save'}>
              {ruleId ? 'Save rule' : 'Add rule'}
            </Button>
            {ruleId ? (
              <Anchor component={Link} to={PAGE}>
                Cancel
              </Anchor>
            ) : null}
          </Group>
        </Stack>
      </Form>
    </>
  )
}

export function ErrorBoundary() {
  return <GeneralErrorBoundary />
}
