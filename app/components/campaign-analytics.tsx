import { BarChart } from '@mantine/charts'
import { Anchor, Table } from '@mantine/core'
import { Link } from '@remix-run/react'
import type { CampaignStage } from '#domain/campaign'
import { rate } from '~/utils/format'
import { ScrollTable } from './scroll-table'

/** The chart and tables of a campaign's funnel page (app/routes/app.analytics_.campaigns.$campaign.tsx). */

const CHANNELS = [
  { name: 'social', label: 'Social posts', color: 'blue.6' },
  { name: 'email', label: 'Email', color: 'teal.6' },
  { name: 'campaign', label: 'Campaign', color: 'orange.6' },
] as const

/** The funnel as a stacked bar chart (hidden from screen readers) and the same numbers as a table beside it. */
export function CampaignFunnel({ stages }: { stages: CampaignStage[] }) {
  const data = stages.map((s) => ({ stage: s.label, social: s.social ?? 0, email: s.email ?? 0, campaign: s.social === null && s.email === null ? s.total : 0 }))
  const cell = (n: number | null) => (n === null ? '—' : String(n))
  return (
    <>
      <div aria-hidden="true">
        <BarChart h={260} data={data} dataKey="stage" type="stacked" series={CHANNELS.map((c) => ({ ...c }))} withLegend />
      </div>
      <ScrollTable label="Funnel" minWidth={560}>
        <Table aria-label="Funnel">
          <Table.Thead>
            <Table.Tr>
              <Table.Th scope="col">Stage</Table.Th>
              <Table.Th scope="col">Social posts</Table.Th>
              <Table.Th scope="col">Email</Table.Th>
              <Table.Th scope="col">Total</Table.Th>
              <Table.Th scope="col">Of reach</Table.Th>
              <Table.Th scope="col">Of the stage before</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {stages.map((s, i) => (
              <Table.Tr key={s.key} data-stage={s.key}>
                <Table.Th scope="row">{s.label}</Table.Th>
                <Table.Td data-channel="social">{cell(s.social)}</Table.Td>
                <Table.Td data-channel="email">{cell(s.email)}</Table.Td>
                <Table.Td data-channel="total">{s.total}</Table.Td>
                <Table.Td>{rate(s.rate)}</Table.Td>
                <Table.Td>{i === 0 ? '—' : rate(s.stepRate)}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </ScrollTable>
    </>
  )
}

type Member = { id: string; name: string }

/** The series and drips of the campaign with their part of the numbers. */
export function CampaignMembers(props: {
  series: Array<Member & { posts: number; impressions: number; clicks: number }>
  drips: Array<Member & { delivered: number; clicked: number; enrolled: number; conversions: number }>
}) {
  return (
    <ScrollTable label="Series and drips" minWidth={640}>
      <Table aria-label="Series and drips">
        <Table.Thead>
          <Table.Tr>
            <Table.Th scope="col">Series or drip</Table.Th>
            <Table.Th scope="col">Reach</Table.Th>
            <Table.Th scope="col">Clicks</Table.Th>
            <Table.Th scope="col">Enrollments</Table.Th>
            <Table.Th scope="col">Conversions</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {props.series.map((s) => (
            <Table.Tr key={s.id} data-member={s.id}>
              <Table.Th scope="row">
                <Anchor component={Link} to={`/app/series/${s.id}/analytics`}>
                  {s.name}
                </Anchor>{' '}
                (series, {s.posts} posts)
              </Table.Th>
              <Table.Td>{s.impressions}</Table.Td>
              <Table.Td>{s.clicks}</Table.Td>
              <Table.Td>—</Table.Td>
              <Table.Td>—</Table.Td>
            </Table.Tr>
          ))}
          {props.drips.map((d) => (
            <Table.Tr key={d.id} data-member={d.id}>
              <Table.Th scope="row">
                <Anchor component={Link} to={`/app/drips/${d.id}/analytics`}>
                  {d.name}
                </Anchor>{' '}
                (drip)
              </Table.Th>
              <Table.Td>{d.delivered}</Table.Td>
              <Table.Td>{d.clicked}</Table.Td>
              <Table.Td>{d.enrolled}</Table.Td>
              <Table.Td>{d.conversions}</Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </ScrollTable>
  )
}
