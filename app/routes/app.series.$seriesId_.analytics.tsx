import { Anchor, Button, Card, Group, NativeSelect, SimpleGrid, Stack, Text, Title } from '@mantine/core'
import type { LoaderFunctionArgs, MetaFunction } from '@remix-run/node'
import { Form, Link, useLoaderData } from '@remix-run/react'
import { GeneralErrorBoundary } from '~/components/error-boundary'
import { HeatMapTable, NetworkTable, PostsTable } from '~/components/series-analytics'
import { percent } from '~/utils/format'
import { loadSeriesAnalyticsFor } from '~/utils/series-analytics.server'
import { ANALYTICS_PERIODS } from '#domain/drip/analytics'

export const meta: MetaFunction<typeof loader> = ({ data }) => [{ title: `Analytics of ${data?.series.name ?? 'a series'} · Trickle` }]

export async function loader(args: LoaderFunctionArgs) {
  return loadSeriesAnalyticsFor(args)
}

export default function SeriesAnalyticsPage() {
  const a = useLoaderData<typeof loader>()
  const days = a.period.days ?? 30
  const periodQuery = a.period.days ? `days=${a.period.days}` : `from=${encodeURIComponent(a.period.from)}&to=${encodeURIComponent(a.period.to)}`
  return (
    <Stack maw={1100}>
      <Group justify="space-between" align="end">
        <div>
          <Text size="sm">
            <Anchor component={Link} to={`/app/series/${a.series.id}`}>
              {a.series.name}
            </Anchor>{' '}
            · <Anchor component={Link} to="/app/analytics">All analytics</Anchor>
          </Text>
          <Title order={1}>Analytics of {a.series.name}</Title>
          <Text size="sm" c="dimmed">
            Posts published from {a.period.from.slice(0, 10)} to {a.period.to.slice(0, 10)}. Metrics are read from each network 1 hour, 24 hours and 7 days after a
            post went out (the latest read is shown); engagement is likes, reposts, replies, quotes, bookmarks and link clicks.{' '}
            {a.series.shortLinks ? 'Link clicks are clicks on the short links of the posts (bots are not counted).' : 'Short links are off for this series: its link clicks are not counted.'}
          </Text>
        </div>
        <Form method="get">
          <Group align="end" gap="xs">
            <NativeSelect label="Period" name="days" defaultValue={String(days)} data={ANALYTICS_PERIODS.map((d) => ({ value: String(d), label: `Last ${d} days` }))} />
            <Button type="submit" variant="default">
              Show
            </Button>
            <Button component="a" href={`/app/series/${a.series.id}/analytics.csv?${periodQuery}`} variant="light" download>
              Export CSV
            </Button>
          </Group>
        </Form>
      </Group>

      <SimpleGrid cols={{ base: 2, sm: 4 }} component="dl" aria-label="Totals">
        {[
          ['Posts', String(a.totals.posts)],
          ['Impressions', String(a.totals.impressions)],
          ['Engagement', `${a.totals.engagement}${a.totals.impressions ? ` · ${percent(a.totals.engagement, a.totals.impressions)} of impressions` : ''}`],
          ['Link clicks', String(a.totals.clicks)],
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

      <Card withBorder component="section" aria-labelledby="networks-title">
        <Title order={2} size="h3" id="networks-title">
          Per network
        </Title>
        <Text size="sm" c="dimmed">
          “—”: the network does not report this number (Mastodon has no impressions, quotes or bookmarks; Bluesky no impressions or bookmarks).
        </Text>
        <NetworkTable networks={a.networks} />
      </Card>

      <SimpleGrid cols={{ base: 1, md: 2 }}>
        <Card withBorder component="section" aria-labelledby="best-title">
          <Title order={2} size="h3" id="best-title">
            Best posts
          </Title>
          <PostsTable posts={a.best} label="Best posts" />
        </Card>
        <Card withBorder component="section" aria-labelledby="worst-title">
          <Title order={2} size="h3" id="worst-title">
            Worst posts
          </Title>
          <PostsTable posts={a.worst} label="Worst posts" />
        </Card>
      </SimpleGrid>

      <Card withBorder component="section" aria-labelledby="heat-title">
        <Title order={2} size="h3" id="heat-title">
          When posts went out
        </Title>
        <Text size="sm" c="dimmed">
          Average engagement per post by weekday and hour of publishing ({a.series.timezone}).
        </Text>
        <HeatMapTable cells={a.heatMap} timezone={a.series.timezone} />
      </Card>

      <Card withBorder component="section" aria-labelledby="posts-title">
        <Title order={2} size="h3" id="posts-title">
          Every post
        </Title>
        <PostsTable posts={a.posts} label="Every post" />
      </Card>
    </Stack>
  )
}

export function ErrorBoundary() {
  return <GeneralErrorBoundary />
}
