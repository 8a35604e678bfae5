import { eq, sql } from 'drizzle-orm'
import { publishDelivery } from '../../core/publishing/publish.server'
import { pipelineDeps } from '../../core/publishing/targets.server'
import { planDeliveries } from '../../db/queries/deliveries'
import { createSequence } from '../../db/queries/sequences'
import { findUserByEmail } from '../../db/queries/users'
import { listWorkspacesOfUser } from '../../db/queries/workspaces'
import { accounts, deliveries } from '../../db/schema'
import { deliveryScheduler } from '../../jobs/enqueue'
import type { TestApp } from '../app-server'

/** What the Accounts page tests read from the app's database after connecting through the page. */
export function accountTestHelpers(app: () => TestApp) {
  const db = () => app().services.database.db
  return {
    /** The first workspace of the user signed up as `email`. */
    async workspaceOf(email: string): Promise<string> {
      const user = await findUserByEmail(db(), { email })
      return (await listWorkspacesOfUser(db(), { userId: user!.id }))[0]!.workspaceId
    },
    /**
     * A one-step series (`parts`, named `name`) planned on `accountId` for now and published through the
     * pipeline with the app's services and the stored credentials: the outcome and the delivery's row after it.
     */
    async publishNow(workspaceId: string, accountId: string, parts: Array<{ text: string }>, name = `To ${accountId}`) {
      const services = app().services
      const clock = services.clock
      const { sequence, steps } = await createSequence(db(), { workspaceId, kind: 'series', name, steps: [{ parts }], clock })
      const planned = await planDeliveries(db(), {
        workspaceId,
        sequenceId: sequence.id,
        items: [{ stepId: steps[0]!.id, accountId, dueAt: clock.now() }],
        clock,
        scheduler: deliveryScheduler(services.jobs.agenda),
      })
      const deliveryId = planned.deliveries[0]!.id
      const outcome = await publishDelivery(pipelineDeps(services), { workspaceId, deliveryId })
      const [delivery] = await db().select().from(deliveries).where(eq(deliveries.id, deliveryId))
      return { outcome, delivery: delivery! }
    },
    /** The workspace's stored accounts. */
    async rows(workspaceId: string) {
      return db().select().from(accounts).where(eq(accounts.workspaceId, workspaceId))
    },
    /** How many rows of the whole database hold `needle` anywhere in their text. */
    async rowsHolding(needle: string): Promise<number> {
      const listed = (await db().execute(
        sql`SELECT table_name AS name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'`,
      )) as unknown as Array<{ name: string }>
      expect(listed.map((t) => t.name)).toContain('accounts')
      let found = 0
      for (const { name } of listed) {
        const [row] = (await db().execute(sql`SELECT count(*)::int AS n FROM ${sql.identifier(name)} t WHERE t::text LIKE ${`%${needle}%`}`)) as unknown as Array<{ n: number }>
        found += row!.n
      }
      return found
    },
  }
}

/** The `<input>` named `name` in the page's card of the `kind` network (another card may have one of that name). */
export function inputNamed(html: string, kind: string, name: string): string {
  const card = new RegExp(`aria-labelledby="connect-${kind}"[\\s\\S]*?</section>`).exec(html)?.[0] ?? ''
  const input = new RegExp(`<input[^>]*name="${name}"[^>]*>`).exec(card)?.[0]
  expect(input, name).toBeDefined()
  return input!
}
