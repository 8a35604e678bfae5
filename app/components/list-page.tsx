import { Button, Card, Group, Table, Text, Title } from '@mantine/core'
import { Link } from '@remix-run/react'
import type { ReactNode } from 'react'

/** A list page's heading, with its actions (links and buttons) on the right; they wrap below it on a phone. */
export function ListHeader(props: { title: string; children?: ReactNode }) {
  return (
    <Group justify="space-between">
      <Title order={1}>{props.title}</Title>
      <Group>{props.children}</Group>
    </Group>
  )
}

/** What a list shows instead of an empty table: why it is empty and what to do. */
export function EmptyState(props: { children: ReactNode }) {
  return (
    <Card withBorder>
      <Text>{props.children}</Text>
    </Card>
  )
}

/** The column headings of a list's table. */
export function TableHead(props: { columns: string[] }) {
  return (
    <Table.Thead>
      <Table.Tr>
        {props.columns.map((column) => (
          <Table.Th key={column} scope="col">
            {column}
          </Table.Th>
        ))}
      </Table.Tr>
    </Table.Thead>
  )
}

type PageLink = { to: string; label: string }

/** The links to the pages before and after this one of a paged list (none when there is only one page). */
export function Pager(props: { previous: PageLink | null; next: PageLink | null; label: string }) {
  if (!props.previous && !props.next) return null
  return (
    <Group gap="sm" component="nav" aria-label={props.label}>
      {props.previous ? (
        <Button component={Link} to={props.previous.to} variant="default">
          {props.previous.label}
        </Button>
      ) : null}
      {props.next ? (
        <Button component={Link} to={props.next.to} variant="default" rel="next">
          {props.next.label}
        </Button>
      ) : null}
    </Group>
  )
}
