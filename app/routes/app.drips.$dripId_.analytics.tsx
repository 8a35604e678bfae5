import { Anchor, Button, Card, Group, NativeSelect, SimpleGrid, Stack, Text, Title } from '@mantine/core'
import type { LoaderFunctionArgs, MetaFunction } from '@remix-run/node'
import { Form, Link, useLoaderData, useSearchParams } from '@remix-run/react'
import { CompareTable, DailyActivity, formatRevenue, FunnelTable, LinkClicks, StepsTable } from '~/components/drip-analytics'
import { GeneralErrorBoundary } from '~/components/error-boundary'
import { loadDripAnalyticsFor } from '~/utils/drip-analytics.server'
import { percent } from '~/utils/format'
import { ANALYTICS_PERIODS } from '#domain/drip/analytics'
import { compareDripSteps } from '../core.server'

export const meta: MetaFunction<typeof loader> = ({ data }) => [{ title: `Analytics of ${data?.drip.name ?? 'a drip'} · Trickle` }]

export async function loader(args: LoaderFunctionArgs) {
  const analytics = await loadDripAnalyticsFor(args)
  const search = new URL(args.request.url).searchParams
  const position = (key: string, fallback: number) => {
    const n = Number(search.get(key) ?? fallback)
    return Number.isInteger(n) && n >= 0 ? n : fallback
  }
  const compared = compareDripSteps(analytics, { a: position('a', 0), b: position('b', 1) })
  return { ...analytics, compared }
}

export default function DripAnalyticsPage() {
  const a = useLoaderData<typeof loader>()
  const [search] = useSearchParams()
  const days = a.period.days ?? 30
  const periodQuery = a.period.days ? `days=${a.period.days}` : `from=${encodeURIComponent(a.period.from)}&to=${encodeURIComponent(a.period.to)}`
  return (
    <Stack maw={1100}>
      <Group justify="space-between" align="end">
        <div>
          <Text size="sm">
            <Anchor component={Link} to={`/app/drips/${a.drip.id}`}>
              {a.drip.name}
            </Anchor>{' '}
            · <Anchor component={Link} to="/app/analytics">All analytics</Anchor>
          </Text>
          <Title order={1}>Analytics of {a.drip.name}</Title>
          <Text size="sm" c="dimmed">
            Contacts enrolled from {a.period.from.slice(0, 10)} to {a.period.to.slice(0, 10)}; a goal event ({a.drip.goals.join(', ') || 'no goal set'}) counts as a conversion of the last step sent within {a.drip.attributionDays} days before it.
          </Text>
        </div>
        <Form method="get">
          <Group align="end" gap="xs">
            <NativeSelect label="Period" name="days" defaultValue={String(days)} data={ANALYTICS_PERIODS.map((d) => ({ value: String(d), label: `Last ${d} days` }))} />
            {search.get('a') ? <input type="hidden" name="a" value={search.get('a')!} /> : null}
            {search.get('b') ? <input type="hidden" name="b" value={search.get('b')!} /> : null}
            <Button type="submit" variant="default">
              Show
            </Button>
            <Button component="a" href={`/app/drips/${a.drip.id}/analytics.csv?${periodQuery}`} variant="light" download>
              Export CSV
            </Button>
          </Group>
        </Form>
      </Group>

      <SimpleGrid cols={{ base: 2, sm: 4 }} component="dl" aria-label="Totals">
        {[
          ['Enrolled', String(a.enrolled)],
          ['Opened', `${percent(a.totals.opened, a.totals.delivered)} of ${a.totals.delivered} delivered`],
          ['Clicked', `${percent(a.totals.clicked, a.totals.delivered)} of delivered`],
          ['Conversions', `${a.totals.conversions} · ${formatRevenue(a.totals.revenue)}`],
        ].map(([label, value]) => (
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

      <Card withBorder component="section" aria-labelledby="funnel-title">
        <Title order={2} size="h3" id="funnel-title">
          Funnel
        </Title>
        <FunnelTable funnel={a.funnel} />
      </Card>

      <Card withBorder component="section" aria-labelledby="steps-title">
        <Title order={2} size="h3" id="steps-title">
          Per step
        </Title>
        <Text size="sm" c="dimmed">
          Opened, clicked and unsubscribed are of delivered (sent minus bounced); a click counts as an open. Each message counts once.
        </Text>
        <StepsTable steps={a.steps} />
      </Card>

      <Card withBorder component="section" aria-labelledby="links-title">
        <Title order={2} size="h3" id="links-title">
          Clicks per link
        </Title>
        <LinkClicks steps={a.steps} />
      </Card>

      <Card withBorder component="section" aria-labelledby="daily-title">
        <Title order={2} size="h3" id="daily-title">
          Daily activity
        </Title>
        <DailyActivity daily={a.daily} timezone={a.drip.timezone} />
      </Card>

      {a.steps.length >= 2 ? (
        <Card withBorder component="section" aria-labelledby="compare-title">
          <Title order={2} size="h3" id="compare-title">
            Compare two steps
          </Title>
          <Form method="get">
            <input type="hidden" name="days" value={String(days)} />
            <Group align="end" gap="xs">
              {(['a', 'b'] as const).map((key, i) => (
                <NativeSelect
                  key={key}
                  label={i === 0 ? 'First step' : 'Second step'}
                  name={key}
                  defaultValue={String(a.compared?.[key] ?? i)}
                  data={a.steps.map((s) => ({ value: String(s.position), label: `Step ${s.position + 1}: ${s.subject.slice(0, 40)}` }))}
                />
              ))}
              <Button type="submit" variant="default">
                Compare
              </Button>
            </Group>
          </Form>
          {a.compared ? <CompareTable {...a.compared} /> : <Text>Choose two steps of this drip.</Text>}
        </Card>
      ) : null}
    </Stack>
  )
}

export function ErrorBoundary() {
  return <GeneralErrorBoundary />
}
