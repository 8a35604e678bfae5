import { Anchor, Button, Card, Group, NativeSelect, SimpleGrid, Text, Title } from '@mantine/core'
import { Form, Link } from '@remix-run/react'
import type { ReactNode } from 'react'
import { ANALYTICS_PERIODS } from '#domain/drip/analytics'

type Period = { from: string; to: string; days?: number | null }

/**
 * The top of an analytics page (a drip's, a series'): where it belongs, its title and what it counts,
 * the period picker (`hidden` fields ride along) and the CSV export of the same period.
 */
export function AnalyticsHeader(props: { name: string; href: string; period: Period; csvHref: string; hidden?: Record<string, string | null>; children: ReactNode }) {
  const { period } = props
  const periodQuery = period.days ? `days=${period.days}` : `from=${encodeURIComponent(period.from)}&to=${encodeURIComponent(period.to)}`
  return (
    <Group justify="space-between" align="end">
      <div>
        <Text size="sm">
          <Anchor component={Link} to={props.href}>
            {props.name}
          </Anchor>{' '}
          · <Anchor component={Link} to="/app/analytics">All analytics</Anchor>
        </Text>
        <Title order={1}>Analytics of {props.name}</Title>
        <Text size="sm" c="dimmed">
          {props.children}
        </Text>
      </div>
      <Form method="get">
        <Group align="end" gap="xs">
          <NativeSelect label="Period" name="days" defaultValue={String(period.days ?? 30)} data={ANALYTICS_PERIODS.map((d) => ({ value: String(d), label: `Last ${d} days` }))} />
          {Object.entries(props.hidden ?? {}).map(([name, value]) => (value ? <input key={name} type="hidden" name={name} value={value} /> : null))}
          <Button type="submit" variant="default">
            Show
          </Button>
          <Button component="a" href={`${props.csvHref}?${periodQuery}`} variant="light" download>
            Export CSV
          </Button>
        </Group>
      </Form>
    </Group>
  )
}

/** The headline numbers as a description list of cards. */
export function Totals(props: { items: Array<[label: string, value: string]> }) {
  return (
    <SimpleGrid cols={{ base: 2, sm: 4 }} component="dl" aria-label="Totals">
      {props.items.map(([label, value]) => (
        <Card withBorder key={label} p="sm">
          <Text component="dt" size="sm" c="dimmed">
            {label}
          </Text>
          <Text component="dd" m={0} fw={600} data-total={label}>
            {value}
          </Text>
        </Card>
      ))}
    </SimpleGrid>
  )
}
