import { Anchor, Badge, Button, Group, NativeSelect, Stack, Table, Text, Title } from '@mantine/core'
import { Form, Link } from '@remix-run/react'
import { CsrfInput } from '~/components/csrf-input'
import { LocalTime } from '~/components/time'

/** A contact's place in a drip, as the contact page's loader sends it (decision 074). */
export type ContactDripRow = {
  enrollmentId: string
  dripId: string
  dripName: string
  dripStatus: 'active' | 'paused'
  status: string
  stepPosition: number
  stepCount: number
  nextSendAt: string | null
  enrolledAt: string
  endedAt: string | null
  endReason: string | null
}

const STATUS_LABEL: Record<string, { label: string; color: string }> = {
  active: { label: 'Active', color: 'teal' },
  completed: { label: 'Completed', color: 'blue' },
  goal_reached: { label: 'Goal reached', color: 'grape' },
  exited: { label: 'Exited', color: 'gray' },
  unsubscribed: { label: 'Unsubscribed', color: 'orange' },
  bounced: { label: 'Bounced', color: 'red' },
  failed: { label: 'Failed', color: 'red' },
}

const when = (s: string | null) => <LocalTime at={s} />

function whereItStands(row: ContactDripRow): string {
  if (row.stepCount === 0) return 'No steps'
  if (row.status === 'active') return `Next: step ${Math.min(row.stepPosition + 1, row.stepCount)} of ${row.stepCount}`
  return `${row.stepPosition} of ${row.stepCount} steps passed`
}

/**
 * The contact page's Drips section: every enrollment with where it stands (step N of M, next send,
 * enrolled at, why it ended), a Remove button on active ones and a form to enroll the contact in a drip.
 */
export function ContactDrips(props: { rows: ContactDripRow[]; drips: Array<{ id: string; name: string; status: string }>; canEdit: boolean; error?: string; busy: boolean }) {
  const { rows, drips, canEdit } = props
  return (
    <Stack component="section" aria-labelledby="contact-drips-title" gap="sm">
      <Title order={2} id="contact-drips-title">
        Drips
      </Title>
      {rows.length === 0 ? (
        <Text>Not in any drip.</Text>
      ) : (
        <Table.ScrollContainer minWidth={720}>
          <Table data-testid="contact-drips">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Drip</Table.Th>
                <Table.Th>Status</Table.Th>
                <Table.Th>Where</Table.Th>
                <Table.Th>Next send</Table.Th>
                <Table.Th>Enrolled</Table.Th>
                <Table.Th>Ended</Table.Th>
                {canEdit ? <Table.Th>Action</Table.Th> : null}
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {rows.map((row) => (
                <Table.Tr key={row.enrollmentId}>
                  <Table.Td>
                    <Anchor component={Link} to={`/app/drips/${row.dripId}`}>
                      {row.dripName}
                    </Anchor>
                    {row.dripStatus === 'paused' ? (
                      <Text size="xs" c="dimmed">
                        drip paused
                      </Text>
                    ) : null}
                  </Table.Td>
                  <Table.Td>
                    <Badge variant="light" color={STATUS_LABEL[row.status]?.color ?? 'gray'}>
                      {STATUS_LABEL[row.status]?.label ?? row.status}
                    </Badge>
                  </Table.Td>
                  <Table.Td>{whereItStands(row)}</Table.Td>
                  <Table.Td>{when(row.nextSendAt)}</Table.Td>
                  <Table.Td>{when(row.enrolledAt)}</Table.Td>
                  <Table.Td>
                    {row.endedAt ? (
                      <>
                        {when(row.endedAt)}
                        {row.endReason ? ` (${row.endReason})` : ''}
                      </>
                    ) : (
                      '—'
                    )}
                  </Table.Td>
                  {canEdit ? (
                    <Table.Td>
                      {row.status === 'active' ? (
                        <Form method="post">
                          <CsrfInput />
                          <input type="hidden" name="dripId" value={row.dripId} />
                          <Button type="submit" name="intent" value="remove" size="xs" color="red" variant="light" aria-label={`Remove from ${row.dripName}`}>
                            Remove
                          </Button>
                        </Form>
                      ) : null}
                    </Table.Td>
                  ) : null}
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
      {canEdit && drips.length > 0 ? (
        <Form method="post" aria-label="Enroll in a drip">
          <CsrfInput />
          <Group align="end" wrap="wrap">
            <NativeSelect
              label="Enroll in a drip"
              name="dripId"
              data={drips.map((d) => ({ value: d.id, label: d.status === 'active' ? d.name : `${d.name} (paused)` }))}
              error={props.error}
            />
            <Button type="submit" name="intent" value="enroll" variant="default" loading={props.busy}>
              Enroll
            </Button>
          </Group>
        </Form>
      ) : null}
    </Stack>
  )
}
