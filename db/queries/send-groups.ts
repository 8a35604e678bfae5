import { sql } from 'drizzle-orm'
import type { DbOrTx } from '../client'
import type { MarkResult, SendMark, SendRecord } from './enrollments'
import { executePrepared, json, rowsOf, snake } from './prepared'

/**
 * The drip runner's group commit (decision 099): one statement records the outcomes of a group of
 * messages whose SMTP replies are in (delivery state, enrollment advance, `sent` event) and marks the
 * next group `publishing`, checking each contact's status and the suppression list right before that
 * group is sent. Either list may be empty. Returns the mark result of every enrollment in `marks`.
 * The statement is the function `drip_record_and_mark_group` (migration 0034, decision 124): planned
 * once per connection, not once per group.
 */
export async function recordAndMarkGroup(db: DbOrTx, args: { records: SendRecord[]; marks: SendMark[] }): Promise<Map<string, MarkResult>> {
  const result = await executePrepared(db, sql`SELECT drip_record_and_mark_group(${json(args.records.map(snake))}, ${json(args.marks.map(snake))}) AS r`)
  const out = JSON.parse(rowsOf<{ r: string }>(result)[0]!.r) as {
    marks: Array<{ enrollmentId: string; marked: string | null; status: string | null; suppressed: boolean | null; enrollmentActive: boolean | null; channelBlocked: boolean | null; contactAllowed: boolean | null }>
  }
  const results = new Map<string, MarkResult>()
  for (const m of out.marks) {
    if (m.marked) results.set(m.enrollmentId, { deliveryId: m.marked, alreadySettled: false })
    else if (m.contactAllowed && m.enrollmentActive && !m.channelBlocked) results.set(m.enrollmentId, { deliveryId: null, alreadySettled: true })
    else results.set(m.enrollmentId, { deliveryId: null, alreadySettled: false, blocked: { status: m.status, suppressed: !!m.suppressed, enrollmentActive: !!m.enrollmentActive, channelBlocked: !!m.channelBlocked, contactAllowed: !!m.contactAllowed } })
  }
  return results
}

/**
 * THE per-message form of the statement above: record one message's outcome and mark the next one, with
 * the same checks. Returns null when there is no next message.
 */
export async function recordAndMark(db: DbOrTx, args: { record: SendRecord | null; mark: SendMark | null }): Promise<MarkResult | null> {
  const results = await recordAndMarkGroup(db, { records: args.record ? [args.record] : [], marks: args.mark ? [args.mark] : [] })
  return args.mark ? (results.get(args.mark.enrollmentId) ?? null) : null
}
