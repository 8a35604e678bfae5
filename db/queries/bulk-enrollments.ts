import { and, desc, eq, getTableColumns, inArray, sql } from 'drizzle-orm'
import type { DbOrTx } from '../client'
import { contactImports, contacts, suppressions, type BulkEnrollmentRow, type ImportRowError, type SuppressionReason } from '../schema'

/**
 * Bulk enrollments (a segment or a CSV enrolled into a drip; decision 074): their progress records are
 * `contact_imports` rows of kind `enrollment`, the table the contact import reports through. Every
 * statement is scoped to the workspace.
 */

export type BulkEnrollment = typeof contactImports.$inferSelect
/** A run as its pages list it (without the CSV's rows). */
export type BulkEnrollmentSummary = Omit<BulkEnrollment, 'rows'>

const ofRun = (args: { workspaceId: string; runId: string }) =>
  and(eq(contactImports.workspaceId, args.workspaceId), eq(contactImports.id, args.runId), eq(contactImports.kind, 'enrollment'))

export async function insertBulkEnrollment(
  db: DbOrTx,
  args: { workspaceId: string; dripId: string; segmentId: string | null; rows: BulkEnrollmentRow[] | null; totalRows: number; startedBy: string | null; at: Date },
): Promise<BulkEnrollmentSummary> {
  const [row] = await db
    .insert(contactImports)
    .values({
      workspaceId: args.workspaceId,
      kind: 'enrollment',
      status: 'validating',
      totalRows: args.totalRows,
      sequenceId: args.dripId,
      segmentId: args.segmentId,
      rows: args.rows,
      startedBy: args.startedBy,
      createdAt: args.at,
    })
    .returning({ id: contactImports.id })
  return (await getBulkEnrollment(db, { workspaceId: args.workspaceId, runId: row!.id }))!
}

const { rows: _rows, ...summaryColumns } = getTableColumns(contactImports)

export async function getBulkEnrollment(db: DbOrTx, args: { workspaceId: string; runId: string }): Promise<BulkEnrollmentSummary | null> {
  const [row] = await db.select(summaryColumns).from(contactImports).where(ofRun(args))
  return row ?? null
}

/** The run with its rows, locked until the transaction ends (one batch at a time, whoever runs it). */
export async function lockBulkEnrollment(tx: DbOrTx, args: { workspaceId: string; runId: string }): Promise<BulkEnrollmentSummary | null> {
  const [row] = await tx.select(summaryColumns).from(contactImports).where(ofRun(args)).for('update')
  return row ?? null
}

/** The CSV rows from index `from` (at most `limit`). */
export async function bulkEnrollmentRows(db: DbOrTx, args: { workspaceId: string; runId: string; from: number; limit: number }): Promise<BulkEnrollmentRow[]> {
  const [row] = await db
    .select({ rows: sql<BulkEnrollmentRow[] | string>`coalesce(jsonb_path_query_array(${contactImports.rows}, ${`$[${args.from} to ${args.from + args.limit - 1}]`}::jsonpath), '[]'::jsonb)` })
    .from(contactImports)
    .where(ofRun(args))
  const rows = row?.rows ?? []
  return typeof rows === 'string' ? (JSON.parse(rows) as BulkEnrollmentRow[]) : rows
}

/** The drip's runs, newest first. */
export async function listBulkEnrollments(db: DbOrTx, args: { workspaceId: string; dripId: string; limit: number }): Promise<BulkEnrollmentSummary[]> {
  return db
    .select(summaryColumns)
    .from(contactImports)
    .where(and(eq(contactImports.workspaceId, args.workspaceId), eq(contactImports.sequenceId, args.dripId), eq(contactImports.kind, 'enrollment')))
    .orderBy(desc(contactImports.createdAt), desc(contactImports.id))
    .limit(args.limit)
}

/** One batch's outcome: counts added, the cursor moved, problems appended (in the batch's transaction). */
export async function recordBulkBatch(
  tx: DbOrTx,
  args: { workspaceId: string; runId: string; cursor: string; processedRows: number; enrolled: number; existing: number; suppressed: number; invalid: number; errors: ImportRowError[] },
): Promise<void> {
  await tx
    .update(contactImports)
    .set({
      status: 'importing',
      cursor: args.cursor,
      processedRows: args.processedRows,
      importedRows: sql`${contactImports.importedRows} + ${args.enrolled}`,
      existingRows: sql`${contactImports.existingRows} + ${args.existing}`,
      suppressedRows: sql`${contactImports.suppressedRows} + ${args.suppressed}`,
      invalidRows: sql`${contactImports.invalidRows} + ${args.invalid}`,
      ...(args.errors.length ? { errors: sql`${contactImports.errors} || ${JSON.stringify(args.errors)}::jsonb` } : {}),
    })
    .where(ofRun(args))
}

export async function setBulkEnrollmentStatus(
  db: DbOrTx,
  args: { workspaceId: string; runId: string; status: 'importing' | 'done' | 'failed'; totalRows?: number; errors?: ImportRowError[]; finishedAt?: Date },
): Promise<void> {
  const { workspaceId, runId, ...set } = args
  await db.update(contactImports).set(set).where(ofRun({ workspaceId, runId }))
}

/** `complained`: the address is suppressed for a spam complaint (no channel reaches the contact, decision 096). */
export type BulkCandidate = { id: string; email: string; timezone: string | null; status: string; suppressed: boolean; complained: boolean }

/** The workspace's contacts with these addresses (lower case), each with whether its address is on the suppression list. */
export async function contactsByEmail(db: DbOrTx, args: { workspaceId: string; emails: string[] }): Promise<Map<string, BulkCandidate>> {
  if (args.emails.length === 0) return new Map()
  const rows = await db
    .select({ id: contacts.id, email: contacts.email, timezone: contacts.timezone, status: contacts.status })
    .from(contacts)
    .where(and(eq(contacts.workspaceId, args.workspaceId), inArray(contacts.email, args.emails)))
  const suppressed = await suppressedEmails(db, { workspaceId: args.workspaceId, emails: rows.map((r) => r.email) })
  return new Map(rows.map((r) => [r.email, { ...r, suppressed: suppressed.has(r.email), complained: suppressed.get(r.email) === 'complaint' }]))
}

/** Which of these addresses are on the workspace's suppression list, with the reason. */
export async function suppressedEmails(db: DbOrTx, args: { workspaceId: string; emails: string[] }): Promise<Map<string, SuppressionReason>> {
  if (args.emails.length === 0) return new Map()
  const rows = await db
    .select({ email: suppressions.email, reason: suppressions.reason })
    .from(suppressions)
    .where(and(eq(suppressions.workspaceId, args.workspaceId), inArray(suppressions.email, args.emails)))
  return new Map(rows.map((r) => [r.email, r.reason]))
}
