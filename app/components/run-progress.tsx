import { Progress, Table } from '@mantine/core'
import { useRevalidator } from '@remix-run/react'
import { useEffect } from 'react'

/** A background run (contact import, bulk enrollment) is validating or importing until done or failed. */
const isRunning = (status: string) => status === 'validating' || status === 'importing'

/** How far a run is, 0–100: 100 only once done (a run at its last row is still writing). */
export function runPercent(run: { status: string; processedRows: number; totalRows: number }): number {
  if (run.status === 'done') return 100
  return run.totalRows === 0 ? 0 : Math.min(99, Math.floor((run.processedRows / run.totalRows) * 100))
}

/** Reloads the page's data every `intervalMs` while the run goes on (never two reloads at once). */
export function usePollWhileRunning(status: string, intervalMs = 500) {
  const revalidator = useRevalidator()
  const running = isRunning(status)
  useEffect(() => {
    if (!running) return
    const timer = setInterval(() => {
      if (revalidator.state === 'idle') revalidator.revalidate()
    }, intervalMs)
    return () => clearInterval(timer)
  }, [running, revalidator, intervalMs])
}

/** The run's progress bar, named for screen readers. */
export function RunProgressBar(props: { label: string; percent: number; status: string }) {
  return (
    <Progress.Root data-status={props.status}>
      <Progress.Section value={props.percent} aria-label={props.label} />
    </Progress.Root>
  )
}

/** The rows a run could not take, with why. */
export function RunProblems(props: { testId: string; columns: string[]; rows: Array<Array<string | number>> }) {
  return (
    <Table data-testid={props.testId}>
      <Table.Thead>
        <Table.Tr>
          {props.columns.map((c) => (
            <Table.Th key={c}>{c}</Table.Th>
          ))}
        </Table.Tr>
      </Table.Thead>
      <Table.Tbody>
        {props.rows.map((cells, i) => (
          <Table.Tr key={i}>
            {cells.map((c, j) => (
              <Table.Td key={j}>{c}</Table.Td>
            ))}
          </Table.Tr>
        ))}
      </Table.Tbody>
    </Table>
  )
}
