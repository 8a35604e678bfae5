import type { ReactNode } from 'react'

/**
 * A wide table that scrolls sideways on a phone. The scrolling region is focusable and named, so
 * keyboard users can scroll it too (axe: scrollable-region-focusable).
 */
export function ScrollTable(props: { label: string; minWidth: number; children: ReactNode }) {
  return (
    <div role="region" aria-label={props.label} tabIndex={0} style={{ overflowX: 'auto', maxWidth: '100%' }}>
      <div style={{ minWidth: props.minWidth }}>{props.children}</div>
    </div>
  )
}
