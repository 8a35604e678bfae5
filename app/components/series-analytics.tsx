import { BarChart } from '@mantine/charts'
import { Anchor, Group, Table, Text } from '@mantine/core'
import { Link } from '@remix-run/react'
import { METRIC_NAMES, WEEKDAYS, type HeatCell, type MetricName, type NetworkTotals, type PostAnalytics } from '#domain/series/analytics'
import { percent } from '~/utils/format'
import { ScrollTable } from './scroll-table'

/** Tables, the chart and the heat map of the per-series analytics page (app/routes/app.series.$seriesId_.analytics.tsx). */

const LABELS: Record<MetricName, string> = { impressions: 'Impressions', likes: 'Likes', reposts: 'Reposts', replies: 'Replies', quotes: 'Quotes', bookmarks: 'Bookmarks' }
/** A count the network does not report is shown as “—”, never 0. */
const count = (v: number | null) => (v === null ? '—' : String(v))
const NETWORKS: Record<string, string> = { x: 'X', mastodon: 'Mastodon', bluesky: 'Bluesky' }
export const networkName = (kind: string) => NETWORKS[kind] ?? kind

export function NetworkTable({ networks }: { networks: NetworkTotals[] }) {
  return (
    <>
      <div aria-hidden="true">
        <BarChart
          h={220}
          data={networks.map((n) => ({ network: networkName(n.network), Engagement: n.engagement, 'Link clicks': n.clicks }))}
          dataKey="network"
          series={[
            { name: 'Engagement', color: 'blue.6' },
            { name: 'Link clicks', color: 'grape.6' },
          ]}
          withLegend
        />
      </div>
      <ScrollTable label="Per network" minWidth={760}>
        <Table aria-label="Per network">
          <Table.Thead>
            <Table.Tr>
              <Table.Th scope="col">Network</Table.Th>
              <Table.Th scope="col">Posts</Table.Th>
              {METRIC_NAMES.map((m) => (
                <Table.Th scope="col" key={m}>
                  {LABELS[m]}
                </Table.Th>
              ))}
              <Table.Th scope="col">Link clicks</Table.Th>
              <Table.Th scope="col">Engagement</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {networks.map((n) => (
              <Table.Tr key={n.network} data-network={n.network}>
                <Table.Th scope="row">{networkName(n.network)}</Table.Th>
                <Table.Td data-metric="posts">{n.posts}</Table.Td>
                {METRIC_NAMES.map((m) => (
                  <Table.Td key={m} data-metric={m}>
                    {count(n[m])}
                  </Table.Td>
                ))}
                <Table.Td data-metric="clicks">{n.clicks}</Table.Td>
                <Table.Td data-metric="engagement">{n.engagement}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </ScrollTable>
    </>
  )
}

export function PostsTable({ posts, label }: { posts: PostAnalytics[]; label: string }) {
  if (posts.length === 0) return <Text>No post of this series went out in this period.</Text>
  return (
    <ScrollTable label={label} minWidth={1000}>
      <Table aria-label={label}>
        <Table.Thead>
          <Table.Tr>
            <Table.Th scope="col">Post</Table.Th>
            <Table.Th scope="col">Network</Table.Th>
            <Table.Th scope="col">Published (UTC)</Table.Th>
            {METRIC_NAMES.map((m) => (
              <Table.Th scope="col" key={m}>
                {LABELS[m]}
              </Table.Th>
            ))}
            <Table.Th scope="col">Link clicks</Table.Th>
            <Table.Th scope="col">Engagement</Table.Th>
            <Table.Th scope="col">Of impressions</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {posts.map((p) => (
            <Table.Tr key={p.deliveryId} data-delivery={p.deliveryId}>
              <Table.Th scope="row">
                {p.url ? (
                  <Anchor href={p.url} target="_blank" rel="noreferrer">
                    {p.position + 1}. {p.text.slice(0, 60)}
                  </Anchor>
                ) : (
                  `${p.position + 1}. ${p.text.slice(0, 60)}`
                )}
              </Table.Th>
              <Table.Td>
                {networkName(p.network)} @{p.handle}
              </Table.Td>
              <Table.Td>{p.publishedAt.slice(0, 16).replace('T', ' ')}</Table.Td>
              {METRIC_NAMES.map((m) => (
                <Table.Td key={m} data-metric={m}>
                  {count(p.metrics[m])}
                </Table.Td>
              ))}
              <Table.Td data-metric="clicks">{p.clicks}</Table.Td>
              <Table.Td data-metric="engagement">{p.engagement}</Table.Td>
              <Table.Td>{p.metrics.impressions ? percent(p.engagement, p.metrics.impressions) : '—'}</Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </ScrollTable>
  )
}

/**
 * Weekday × hour as a table: each cell with posts says how many and their average engagement, shaded by
 * it (the numbers are in the cell, so the shading adds nothing a screen reader misses). Only the hours
 * any post went out at are columns.
 */
export function HeatMapTable({ cells, timezone }: { cells: HeatCell[]; timezone: string }) {
  if (cells.length === 0) return <Text>No post went out in this period.</Text>
  const hours = [...new Set(cells.map((c) => c.hour))].sort((a, b) => a - b)
  const max = Math.max(...cells.map((c) => c.average), 0)
  const at = (weekday: number, hour: number) => cells.find((c) => c.weekday === weekday && c.hour === hour)
  return (
    <ScrollTable label="Engagement by posting time" minWidth={200 + hours.length * 90}>
      <Table aria-label={`Average engagement per post by weekday and hour (${timezone})`} withColumnBorders>
        <Table.Thead>
          <Table.Tr>
            <Table.Th scope="col">Weekday</Table.Th>
            {hours.map((h) => (
              <Table.Th scope="col" key={h}>
                {String(h).padStart(2, '0')}:00
              </Table.Th>
            ))}
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {WEEKDAYS.map((day, weekday) => (
            <Table.Tr key={day}>
              <Table.Th scope="row">{day}</Table.Th>
              {hours.map((h) => {
                const cell = at(weekday, h)
                const strength = cell && max > 0 ? cell.average / max : 0
                return (
                  <Table.Td
                    key={h}
                    data-cell={`${weekday}:${h}`}
                    style={cell ? { background: `rgba(34, 139, 230, ${(0.1 + 0.5 * strength).toFixed(2)})` } : undefined}
                  >
                    {cell ? `${Math.round(cell.average * 10) / 10} (${cell.posts} post${cell.posts === 1 ? '' : 's'})` : ''}
                  </Table.Td>
                )
              })}
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </ScrollTable>
  )
}

/**
 * Which of the period's posts the table lists (the page reads them a page at a time, decision 108), with
 * links to the pages before and after; nothing when they fit on one page.
 */
export function PostsPager(props: { page: { page: number; pageSize: number; total: number }; period: { from: string; to: string; days: number | null } }) {
  const { page, pageSize, total } = props.page
  const pages = Math.ceil(total / pageSize)
  if (pages <= 1) return null
  const periodQuery = props.period.days ? `days=${props.period.days}` : `from=${encodeURIComponent(props.period.from)}&to=${encodeURIComponent(props.period.to)}`
  const to = (n: number) => `?${periodQuery}&page=${n}#posts-title`
  return (
    <Group gap="sm" component="nav" aria-label="Pages of posts">
      <Text size="sm">
        Posts {Math.min(total, (page - 1) * pageSize + 1)}–{Math.min(total, page * pageSize)} of {total} (page {page} of {pages})
      </Text>
      {page > 1 ? (
        <Anchor component={Link} to={to(page - 1)} size="sm" rel="prev">
          Previous page
        </Anchor>
      ) : null}
      {page < pages ? (
        <Anchor component={Link} to={to(page + 1)} size="sm" rel="next">
          Next page
        </Anchor>
      ) : null}
    </Group>
  )
}
