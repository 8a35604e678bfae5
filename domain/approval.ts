/**
 * Where a series stands in the approval flow (docs/decisions/012-series-approval-threads-import.md): only `approved`
 * series publish. `draft` (written by an editor, not yet submitted), `pending_approval` (submitted, or an
 * approved series edited by an editor), `changes_requested` (an owner sent it back with a comment).
 */
export const APPROVAL_STATES = ['draft', 'pending_approval', 'changes_requested', 'approved'] as const
export type ApprovalState = (typeof APPROVAL_STATES)[number]
