import { pruneThrottle } from '../db/queries/login-throttle'
import { pruneRateLimits } from '../db/queries/rate-limits'
import { THROTTLE_POLICIES } from '../domain/login-throttle'
import { pruneOldAuditEvents } from './audit.server'
import type { Services } from './services.server'

/**
 * The daily clean-up of security records (jobs/prune.ts runs it): log-in throttle counters that would
 * start over anyway, rate-limit counters whose window has ended, and audit events older than
 * AUDIT_RETENTION_DAYS. Each delete stands alone; what one removes never depends on another.
 */
export async function pruneSecurityRecords(services: Pick<Services, 'database' | 'clock' | 'config'>): Promise<{ throttle: number; rateLimits: number; auditEvents: number }> {
  const now = services.clock.now()
  // A counter is forgotten once its last failure is older than its policy's forgetAfterMs (and its
  // block, at most maxBlockMs after that failure, is long over): deleting it changes nothing.
  const keepMs = Math.max(...Object.values(THROTTLE_POLICIES).map((p) => Math.max(p.forgetAfterMs, p.maxBlockMs)))
  const db = services.database.db
  const throttle = await pruneThrottle(db, { before: new Date(now.getTime() - keepMs) })
  const rateLimits = await pruneRateLimits(db, { now })
  const auditEvents = await pruneOldAuditEvents(services)
  return { throttle, rateLimits, auditEvents }
}
