import { eq, sql } from 'drizzle-orm'
import { findUserByEmail } from '../../db/queries/users'
import { listWorkspacesOfUser } from '../../db/queries/workspaces'
import { accounts } from '../../db/schema'
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
