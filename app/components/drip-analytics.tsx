import { LineChart } from '@mantine/charts'
import { Anchor, Table, Text } from '@mantine/core'
import type { DailyRow, FunnelStage, StepAnalytics, StepRates } from '#domain/drip/analytics'
import { splitUtm } from '#domain/links/utm'
import { rate } from '~/utils/format'
import { ScrollTable } from './scroll-table'

/** Tables and the chart of the per-drip analytics page (app/routes/app.drips.$dripId_.analytics.tsx). */

/** A step's count with its rate, e.g. "3 (50%)". */
function CountCell({ metric, step }: { metric: 'delivered' | 'opened' | 'clicked'; step: StepAnalytics }) {
  return (
    <Table.Td data-metric={metric}>
      {step.counts[metric]} ({rate(step.rates[metric])})
    </Table.Td>
  )
}

export function formatRevenue(revenue: Array<{ currency: string | null; amount: number }>): string {
  return revenue.length === 0 ? '—' : revenue.map((r) => (r.currency ? `${r.amount} ${r.currency}` : String(r.amount))).join(' + ')
}

export function FunnelTable({ funnel }: { funnel: FunnelStage[] }) {
  return (
    <Table aria-label="Funnel">
      <Table.Thead>
        <Table.Tr>
          <Table.Th scope="col">Stage</Table.Th>
          <Table.Th scope="col">Contacts</Table.Th>
          <Table.Th scope="col">Of enrolled</Table.Th>
          <Table.Th scope="col">Of the stage before</Table.Th>
        </Table.Tr>
      </Table.Thead>
      <Table.Tbody>
        {funnel.map((s, i) => (
          <Table.Tr key={s.label} data-stage={s.label}>
            <Table.Th scope="row">{s.label}</Table.Th>
            <Table.Td data-count>{s.count}</Table.Td>
            <Table.Td>{rate(s.rate)}</Table.Td>
            <Table.Td>{i === 0 ? '—' : rate(s.stepRate)}</Table.Td>
          </Table.Tr>
        ))}
      </Table.Tbody>
    </Table>
  )
}

const STEP_COLUMNS = ['Sent', 'Delivered', 'Opened', 'Clicked', 'Unsubscribed', 'Bounced (hard / soft)', 'Complained', 'Conversions', 'Revenue'] as const

export function StepsTable({ steps }: { steps: StepAnalytics[] }) {
  return (
    <ScrollTable label="Per step" minWidth={900}>
      <Table aria-label="Per step">
        <Table.Thead>
          <Table.Tr>
            <Table.Th scope="col">Step</Table.Th>
            {STEP_COLUMNS.map((c) => (
              <Table.Th scope="col" key={c}>
                {c}
              </Table.Th>
            ))}
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {steps.map((s) => (
            <Table.Tr key={s.stepId} data-step={s.position}>
              <Table.Th scope="row">
                {s.position + 1}. {s.subject}
              </Table.Th>
              <Table.Td data-metric="sent">{s.counts.sent}</Table.Td>
              <CountCell metric="delivered" step={s} />
              <CountCell metric="opened" step={s} />
              <CountCell metric="clicked" step={s} />
              <Table.Td data-metric="unsubscribed">{s.counts.unsubscribed}</Table.Td>
              <Table.Td data-metric="bounced">
                {s.counts.bounced} ({s.counts.hardBounced} / {s.counts.softBounced})
              </Table.Td>
              <Table.Td data-metric="complained">{s.counts.complained}</Table.Td>
              <Table.Td data-metric="conversions">{s.counts.conversions}</Table.Td>
              <Table.Td data-metric="revenue">{formatRevenue(s.revenue)}</Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </ScrollTable>
  )
}

export function LinkClicks({ steps }: { steps: StepAnalytics[] }) {
  const withLinks = steps.filter((s) => s.links.length > 0)
  if (withLinks.length === 0) return <Text c="dimmed">No link clicked yet.</Text>
  return (
    <Table aria-label="Clicks per link">
      <Table.Thead>
        <Table.Tr>
          <Table.Th scope="col">Step</Table.Th>
          <Table.Th scope="col">Link</Table.Th>
          <Table.Th scope="col">UTM parameters</Table.Th>
          <Table.Th scope="col">Messages clicked</Table.Th>
        </Table.Tr>
      </Table.Thead>
      <Table.Tbody>
        {withLinks.flatMap((s) =>
          s.links.map((l) => {
            const { link, utm } = splitUtm(l.url)
            return (
              <Table.Tr key={`${s.stepId}:${l.url}`}>
                <Table.Td>Step {s.position + 1}</Table.Td>
                <Table.Th scope="row">
                  <Anchor href={l.url} rel="noreferrer noopener" target="_blank">
                    {link}
                  </Anchor>
                </Table.Th>
                <Table.Td data-link-utm>{utm.length === 0 ? 'none' : utm.map((p) => `${p.key}=${p.value}`).join(' · ')}</Table.Td>
                <Table.Td data-link-clicks>{l.clicks}</Table.Td>
              </Table.Tr>
            )
          }),
        )}
      </Table.Tbody>
    </Table>
  )
}

const SERIES = [
  { name: 'sends', label: 'Sends', color: 'blue.6' },
  { name: 'opens', label: 'Opens', color: 'teal.6' },
  { name: 'clicks', label: 'Clicks', color: 'grape.6' },
  { name: 'conversions', label: 'Conversions', color: 'orange.6' },
] as const

/** The chart (hidden from screen readers) and the same numbers as a table beside it. */
export function DailyActivity({ daily, timezone }: { daily: DailyRow[]; timezone: string }) {
  const total = (k: keyof Omit<DailyRow, 'day'>) => daily.reduce((a, d) => a + d[k], 0)
  return (
    <>
      <div aria-hidden="true">
        <LineChart h={260} data={daily} dataKey="day" series={SERIES.map((s) => ({ ...s }))} curveType="linear" withLegend withDots={daily.length <= 31} />
      </div>
      <details>
        <summary>The chart as a table (days in {timezone})</summary>
        <ScrollTable label="Daily activity" minWidth={480}>
          <Table aria-label="Daily activity">
            <Table.Thead>
              <Table.Tr>
                <Table.Th scope="col">Day</Table.Th>
                {SERIES.map((s) => (
                  <Table.Th scope="col" key={s.name}>
                    {s.label}
                  </Table.Th>
                ))}
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {daily.map((d) => (
                <Table.Tr key={d.day}>
                  <Table.Th scope="row">{d.day}</Table.Th>
                  {SERIES.map((s) => (
                    <Table.Td key={s.name}>{d[s.name]}</Table.Td>
                  ))}
                </Table.Tr>
              ))}
            </Table.Tbody>
            <Table.Tfoot>
              <Table.Tr>
                <Table.Th scope="row">Total</Table.Th>
                {SERIES.map((s) => (
                  <Table.Td key={s.name} data-daily-total={s.name}>
                    {total(s.name)}
                  </Table.Td>
                ))}
              </Table.Tr>
            </Table.Tfoot>
          </Table>
        </ScrollTable>
      </details>
    </>
  )
}

const RATE_LABELS: Record<keyof StepRates, string> = {
  delivered: 'Delivered (of sent)',
  opened: 'Opened',
  clicked: 'Clicked',
  clickToOpen: 'Click-to-open',
  unsubscribed: 'Unsubscribed',
  bounced: 'Bounced (of sent)',
  complained: 'Complained',
  conversion: 'Converted',
}

export function CompareTable({ a, b, rates }: { a: number; b: number; rates: Array<{ rate: keyof StepRates; a: number; b: number; difference: number }> }) {
  return (
    <Table aria-label={`Step ${a + 1} compared with step ${b + 1}`}>
      <Table.Thead>
        <Table.Tr>
          <Table.Th scope="col">Rate</Table.Th>
          <Table.Th scope="col">Step {a + 1}</Table.Th>
          <Table.Th scope="col">Step {b + 1}</Table.Th>
          <Table.Th scope="col">Difference</Table.Th>
        </Table.Tr>
      </Table.Thead>
      <Table.Tbody>
        {rates.map((r) => (
          <Table.Tr key={r.rate}>
            <Table.Th scope="row">{RATE_LABELS[r.rate]}</Table.Th>
            <Table.Td>{rate(r.a)}</Table.Td>
            <Table.Td>{rate(r.b)}</Table.Td>
            <Table.Td>
              {r.difference > 0 ? '+' : ''}
              {Math.round(r.difference * 1000) / 10} points
            </Table.Td>
          </Table.Tr>
        ))}
      </Table.Tbody>
    </Table>
  )
}
