import { Card, SimpleGrid, Stack, Text, Title } from '@mantine/core'
import type { LoaderFunctionArgs, MetaFunction } from '@remix-run/node'
import { useLoaderData } from '@remix-run/react'
import { AnalyticsHeader, Totals } from '~/components/analytics-page'
import { GeneralErrorBoundary } from '~/components/error-boundary'
import { HeatMapTable, NetworkTable, PostsPager, PostsTable } from '~/components/series-analytics'
import { percent } from '~/utils/format'
import { loadSeriesAnalyticsFor } from '~/utils/series-analytics.server'

export const meta: MetaFunction<typeof loader> = ({ data }) => [{ title: `Analytics of ${data?.series.name ?? 'a series'} · Trickle` }]

export async function loader(args: LoaderFunctionArgs) {
  return loadSeriesAnalyticsFor(args)
}

export default function SeriesAnalyticsPage() {
  const a = useLoaderData<typeof loader>()
  return (
    <Stack maw={1100}>
      <AnalyticsHeader name={a.series.name} href={`/app/series/${a.series.id}`} period={a.period} csvHref={`/app/series/${a.series.id}/analytics.csv`}>
        Posts published from {a.period.from.slice(0, 10)} to {a.period.to.slice(0, 10)}. Metrics are read from each network 1 hour, 24 hours and 7 days after a post went out
        (the latest read is shown); engagement is likes, reposts, replies, quotes, bookmarks and link clicks.{' '}
        {a.series.shortLinks ? 'Link clicks are clicks on the short links of the posts (bots are not counted).' : 'Short links are off for this series: its link clicks are not counted.'}
      </AnalyticsHeader>

      <Totals
        items={[
          ['Posts', String(a.totals.posts)],
          ['Impressions', String(a.totals.impressions)],
          ['Engagement', `${a.totals.engagement}${a.totals.impressions ? ` · ${percent(a.totals.engagement, a.totals.impressions)} of impressions` : ''}`],
          ['Link clicks', String(a.totals.clicks)],
        ]}
      />

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
        <PostsPager page={a.postsPage} period={a.period} />
        <PostsTable posts={a.posts} label="Every post" />
      </Card>
    </Stack>
  )
}

export function ErrorBoundary() {
  return <GeneralErrorBoundary />
}
