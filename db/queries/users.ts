import { eq } from 'drizzle-orm'
import type { DbOrTx } from '../client'
import { users } from '../schema'

/** Users are not tenant-owned: a person can belong to several workspaces. Emails are matched lower-cased. */
export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase()
}

export async function findUserByEmail(db: DbOrTx, args: { email: string }) {
  const [row] = await db.select().from(users).where(eq(users.email, normalizeEmail(args.email))).limit(1)
  return row ?? null
}

export async function getUserById(db: DbOrTx, args: { userId: string }) {
  const [row] = await db.select().from(users).where(eq(users.id, args.userId)).limit(1)
  return row ?? null
}

export async function insertUser(db: DbOrTx, args: { email: string; name: string; passwordHash: string }) {
  const [row] = await db
    .insert(users)
    .values({ email: normalizeEmail(args.email), name: args.name, passwordHash: args.passwordHash })
    .returning()
  return row!
}
