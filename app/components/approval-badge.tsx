import { Badge } from '@mantine/core'

export type Approval = 'draft' | 'pending_approval' | 'changes_requested' | 'approved'

const APPROVAL_LABELS: Record<Approval, { label: string; color: string }> = {
  draft: { label: 'Draft', color: 'gray' },
  pending_approval: { label: 'Needs approval', color: 'yellow' },
  changes_requested: { label: 'Changes requested', color: 'red' },
  approved: { label: 'Approved', color: 'teal' },
}

/** Where a series stands in the approval flow (editors submit, owners approve). */
export function ApprovalBadge(props: { approval: Approval; size?: 'sm' | 'lg' }) {
  const { label, color } = APPROVAL_LABELS[props.approval]
  return (
    <Badge color={color} variant="light" size={props.size ?? 'lg'}>
      {label}
    </Badge>
  )
}
