import { bigserial, index, jsonb, pgTable, text, uuid } from 'drizzle-orm/pg-core'
import { instant } from './columns'
import { users } from './users'
import { workspaceRef } from './workspaces'

/**
 * The owner-visible audit log (ASVS V16, docs/decisions/068-audit-log-and-trust-proxy.md): security
 * events of one workspace, newest first. Append-only; pruned after AUDIT_RETENTION_DAYS. `detail` holds
 * only what core/audit.server.ts lets through (never a secret, token, password or query string).
 */
export const auditEvents = pgTable(
  'audit_events',
  {
    /** A sequence, so events of the same instant keep their order and keyset paging is exact. */
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    workspaceId: workspaceRef(),
    /** Who did it (null: nobody signed in, e.g. a failed log-in; or the user was deleted since). */
    actorUserId: uuid('actor_user_id').references(() => users.id, { onDelete: 'set null' }),
    /** e.g. `login.succeeded`, `token.created`, `member.removed`, `access.refused` (AUDIT_KINDS). */
    kind: text('kind').notNull(),
    targetType: text('target_type'),
    targetId: text('target_id'),
    ip: text('ip'),
    /** The client's User-Agent, cut to 256 characters. */
    userAgent: text('user_agent'),
    detail: jsonb('detail').$type<Record<string, string | number | boolean | null>>().notNull().default({}),
    at: instant('at').notNull(),
  },
  (t) => [index('audit_events_workspace_at_idx').on(t.workspaceId, t.at.desc(), t.id.desc()), index('audit_events_at_idx').on(t.at)],
)
