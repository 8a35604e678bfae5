import { Card, Stack, Text, Title } from '@mantine/core'
import type { LoaderFunctionArgs, MetaFunction } from '@remix-run/node'
import { useLoaderData } from '@remix-run/react'
import { AnalyticsHeader, Totals } from '~/components/analytics-page'
import { CampaignFunnel, CampaignMembers } from '~/components/campaign-analytics'
import { formatRevenue } from '~/components/drip-analytics'
import { GeneralErrorBoundary } from '~/components/error-boundary'
import { loadCampaignAnalyticsFor } from '~/utils/campaign-analytics.server'

export const meta: MetaFunction<typeof loader> = ({ data }) => [{ title: `Campaign ${data?.campaign ?? ''} · Trickle` }]

export async function loader(args: LoaderFunctionArgs) {
  return loadCampaignAnalyticsFor(args)
}

export default function CampaignAnalyticsPage() {
  const a = useLoaderData<typeof loader>()
  const path = `/app/analytics/campaigns/${encodeURIComponent(a.campaign)}`
  const stage = (key: string) => a.funnel.find((s) => s.key === key)!.total
  return (
    <Stack maw={1100}>
      <AnalyticsHeader name={`campaign “${a.campaign}”`} href="/app/analytics" period={a.period} csvHref={`${path}.csv`}>
        The series and drips tagged “{a.campaign}”, from {a.period.from.slice(0, 10)} to {a.period.to.slice(0, 10)}. Reach: impressions of the posts (as the networks report them) and
        emails delivered. Clicks: clicks on the posts’ short links and emails with a clicked link. Enrollments: contacts who started one of the drips. Conversions: goal events
        counted for a drip email.
      </AnalyticsHeader>

      <Totals
        items={[
          ['Reach', String(stage('reach'))],
          ['Clicks', String(stage('clicks'))],
          ['Enrollments', String(stage('enrollments'))],
          ['Conversions', `${stage('conversions')}${a.revenue.length ? ` · ${formatRevenue(a.revenue)}` : ''}`],
        ]}
      />

      <Card withBorder component="section" aria-labelledby="funnel-title">
        <Title order={2} size="h3" id="funnel-title">
          Funnel across channels
        </Title>
        <Text size="sm" c="dimmed">
          Social posts and email add up to the reach and clicks; enrollments and conversions are the campaign’s.
        </Text>
        <CampaignFunnel stages={a.funnel} />
      </Card>

      <Card withBorder component="section" aria-labelledby="members-title">
        <Title order={2} size="h3" id="members-title">
          Series and drips
        </Title>
        <CampaignMembers series={a.series} drips={a.drips} />
      </Card>
    </Stack>
  )
}

export function ErrorBoundary() {
  return <GeneralErrorBoundary />
}
