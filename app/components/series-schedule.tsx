import { Badge, Table, Text, Title } from '@mantine/core'
import { STATE_STYLE } from '~/components/calendar'
import { LocalTime } from '~/components/time'

export type ScheduledPost = { id: string; post: number; /** An evergreen series' round, from 1 (decision 107). */ round?: number; handle: string; dueAt: string; state: string; movedFrom: string | null }

/**
 * Where a series' posts stand now (issue 20: a post moved or skipped on the calendar still showed at the
 * rule's date): in time order, a moved post at its new time with the date the rule gave it, a skipped
 * one marked skipped. Times in the series' zone, UTC on hover.
 */
export function SeriesSchedule(props: { posts: ScheduledPost[]; timezone: string }) {
  if (props.posts.length === 0) return null
  const rounds = props.posts.some((p) => (p.round ?? 1) > 1)
  return (
    <section aria-labelledby="schedule-title">
      <Title order={2} id="schedule-title" mb="xs">
        Schedule
      </Title>
      <Table aria-labelledby="schedule-title">
        <Table.Thead>
          <Table.Tr>
            <Table.Th scope="col">When ({props.timezone})</Table.Th>
            <Table.Th scope="col">Post</Table.Th>
            <Table.Th scope="col">Account</Table.Th>
            <Table.Th scope="col">Status</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {props.posts.map((p) => (
            <Table.Tr key={p.id} data-post={p.post} data-round={p.round ?? 1}>
              <Table.Td>
                <LocalTime at={p.dueAt} zone={props.timezone} zoneShown={false} />
              </Table.Td>
              <Table.Td>{rounds ? `Round ${p.round ?? 1}, post ${p.post}` : `Post ${p.post}`}</Table.Td>
              <Table.Td>@{p.handle}</Table.Td>
              <Table.Td>
                <Badge color={STATE_STYLE[p.state]?.color} variant="filled">
                  {STATE_STYLE[p.state]?.icon} {STATE_STYLE[p.state]?.label ?? p.state}
                </Badge>
                {p.movedFrom ? (
                  <Text span size="sm" ml="xs">
                    Moved from <LocalTime at={p.movedFrom} zone={props.timezone} zoneShown={false} />
                  </Text>
                ) : null}
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </section>
  )
}
