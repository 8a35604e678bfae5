import { Button, Card, Group, NativeSelect, Stack, Text, Title } from '@mantine/core'
import type { LoaderFunctionArgs, MetaFunction } from '@remix-run/node'
import { Form, useLoaderData, useSearchParams } from '@remix-run/react'
import { CompareTable, DailyActivity, formatRevenue, FunnelTable, LinkClicks, StepsTable } from '~/components/drip-analytics'
import { AnalyticsHeader, Totals } from '~/components/analytics-page'
import { GeneralErrorBoundary } from '~/components/error-boundary'
import { loadDripAnalyticsFor } from '~/utils/drip-analytics.server'
import { percent } from '~/utils/format'
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
  return (
    <Stack maw={1100}>
      <AnalyticsHeader name={a.drip.name} href={`/app/drips/${a.drip.id}`} period={a.period} csvHref={`/app/drips/${a.drip.id}/analytics.csv`} hidden={{ a: search.get('a'), b: search.get('b') }}>
        Contacts enrolled from {a.daily[0]?.day} to {a.daily.at(-1)?.day} (days in {a.drip.timezone}); a goal event ({a.drip.goals.join(', ') || 'no goal set'}) counts as a conversion of the last step sent within {a.drip.attributionDays} days before it.
      </AnalyticsHeader>

      <Totals
        items={[
          ['Enrolled', String(a.enrolled)],
          ['Opened', `${percent(a.totals.opened, a.totals.delivered)} of ${a.totals.delivered} delivered`],
          ['Clicked', `${percent(a.totals.clicked, a.totals.delivered)} of delivered`],
          ['Conversions', `${a.totals.conversions} · ${formatRevenue(a.totals.revenue)}`],
        ]}
      />

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
            <input type="hidden" name="days" value={String(a.period.days ?? 30)} />
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
