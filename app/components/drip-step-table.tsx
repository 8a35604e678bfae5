import { Progress, Table, Text } from '@mantine/core'
import type { ReactNode } from 'react'
import { ScrollTable } from './scroll-table'
import type { StepCounts } from '../core.server'
import { percent } from '~/utils/format'
import { describeAction, type DripAction } from '#domain/drip/actions'

type Drip = {
  name: string
  steps: Array<{ id: string; subject: string; action?: DripAction | null; kind?: string; text?: string; mail?: { piece: string } | null; counts: Counts }>
  funnel: Array<{ reached: number; rate: number }>
  totals: { enrolled: number }
}

/** The analytics overview's counts come from the roll-ups and have no `waiting` (decision 104). */
type Counts = Omit<StepCounts, 'waiting'> & { waiting?: number }
type Column = { header: string; compact: boolean; cell: (counts: Counts) => ReactNode }

/** Counts with their share of the step's sends, e.g. "3 (50%)". */
const ofSent = (key: 'opened' | 'clicked') => (c: Counts) => `${c[key]} (${percent(c[key], c.sent)})`

const COLUMNS: Column[] = [
  { header: 'Waiting', compact: false, cell: (c) => c.waiting ?? '—' },
  { header: 'Sent', compact: true, cell: (c) => c.sent },
  { header: 'Delivered', compact: false, cell: (c) => c.delivered },
  { header: 'Opened', compact: true, cell: ofSent('opened') },
  { header: 'Clicked', compact: true, cell: ofSent('clicked') },
  { header: 'Unsubscribed', compact: true, cell: (c) => c.unsubscribed },
  { header: 'Bounced', compact: true, cell: (c) => c.bounced },
  { header: 'Complained', compact: false, cell: (c) => c.complained },
  { header: 'Skipped', compact: false, cell: (c) => c.skipped },
]

/**
 * One row per drip step: its counts and how far down the funnel contacts got. The drip page shows
 * every column; analytics shows the `compact` set for each drip, and its funnel is each step's sends
 * of the enrolled (`funnelHeader` "Sent of enrolled").
 */
export function DripStepTable({ drip, label, compact = false, funnelHeader = 'Reached' }: { drip: Drip; label: string; compact?: boolean; funnelHeader?: string }) {
  const columns = COLUMNS.filter((c) => !compact || c.compact)
  return (
    <ScrollTable minWidth={compact ? 700 : 800} label={label}>
      <Table aria-label={label}>
        <Table.Thead>
          <Table.Tr>
            <Table.Th scope="col">Step</Table.Th>
            {columns.map((c) => (
              <Table.Th scope="col" key={c.header}>
                {c.header}
              </Table.Th>
            ))}
            <Table.Th scope="col">{funnelHeader}</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {drip.steps.map((step, i) => {
            const reached = percent(drip.funnel[i]!.reached, drip.totals.enrolled)
            return (
              <Table.Tr key={step.id} data-step={i}>
                <Table.Th scope="row">
                  {i + 1}. {stepLabel(step)}
                </Table.Th>
                {columns.map((c) => (
                  <Table.Td key={c.header} data-metric={c.header.toLowerCase()}>
                    {c.cell(step.counts)}
                  </Table.Td>
                ))}
                <Table.Td miw={120}>
                  <Text size="xs" data-metric="reached">
                    {drip.funnel[i]!.reached} ({reached})
                  </Text>
                  <Progress value={drip.funnel[i]!.rate * 100} size="sm" aria-label={`Step ${i + 1} of ${drip.name}: ${reached} of enrolled contacts ${funnelHeader === 'Reached' ? 'reached it' : 'were sent it'}`} />
                </Table.Td>
              </Table.Tr>
            )
          })}
        </Table.Tbody>
      </Table>
    </ScrollTable>
  )
}

/** An email step by its subject; an SMS by its text ("SMS: Hi {{ … }}"); a direct-mail step as Postcard or Letter; an action by what it does ("Action: tag +vip"), a webhook with its outcomes ("Webhook → https://…: 3 ok, 1 failed"). */
function stepLabel(step: Drip['steps'][number]): string {
  if (step.kind === 'mail') return step.mail?.piece === 'letter' ? 'Letter' : 'Postcard'
  if (step.kind === 'sms') return `SMS: ${(step.text ?? '').length > 60 ? `${(step.text ?? '').slice(0, 59)}…` : step.text}`
  if (!step.action) return step.subject
  const label = describeAction(step.action)
  return step.action.type === 'webhook' ? `${label}: ${step.counts.delivered} ok, ${step.counts.failed} failed` : label
}
