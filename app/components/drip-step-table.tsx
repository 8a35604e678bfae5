import { Progress, Table, Text } from '@mantine/core'
import type { ReactNode } from 'react'
import { ScrollTable } from './scroll-table'
import type { StepCounts } from '../core.server'
import { percent } from '~/utils/format'
import { describeAction, type DripAction } from '#domain/drip/actions'

type Drip = {
  name: string
  steps: Array<{ id: string; subject: string; action?: DripAction | null; kind?: string; text?: string; mail?: { piece: string } | null; counts: StepCounts }>
  funnel: Array<{ reached: number; rate: number }>
  totals: { enrolled: number }
}

type Column = { header: string; compact: boolean; cell: (counts: StepCounts) => ReactNode }

/** Counts with their share of the step's sends, e.g. "3 (50%)". */
const ofSent = (key: 'opened' | 'clicked') => (c: StepCounts) => `${c[key]} (${percent(c[key], c.sent)})`

const COLUMNS: Column[] = [
  { header: 'Waiting', compact: false, cell: (c) => c.waiting },
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
 * every column; analytics shows the `compact` set for each drip.
 */
export function DripStepTable({ drip, label, compact = false }: { drip: Drip; label: string; compact?: boolean }) {
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
            <Table.Th scope="col">Reached</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {drip.steps.map((step, i) => {
            const reached = percent(drip.funnel[i]!.reached, drip.totals.enrolled)
            return (
              <Table.Tr key={step.id}>
                <Table.Th scope="row">
                  {i + 1}. {stepLabel(step)}
                </Table.Th>
                {columns.map((c) => (
                  <Table.Td key={c.header}>{c.cell(step.counts)}</Table.Td>
                ))}
                <Table.Td miw={120}>
                  <Text size="xs">
                    {drip.funnel[i]!.reached} ({reached})
                  </Text>
                  <Progress value={drip.funnel[i]!.rate * 100} size="sm" aria-label={`Step ${i + 1} of ${drip.name}: ${reached} of enrolled contacts reached it`} />
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
