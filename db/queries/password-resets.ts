import { and, desc, eq, gt, isNull } from 'drizzle-orm'
import type { DbOrTx } from '../client'
import { passwordResets } from '../schema'

/** Password-reset links, looked up by the sha256 of their token. Not tenant-owned (a user's, across workspaces). */

export async function insertPasswordReset(db: DbOrTx, args: { userId: string; tokenHash: string; expiresAt: Date; at: Date }) {
  await db.insert(passwordResets).values({ userId: args.userId, tokenHash: args.tokenHash, expiresAt: args.expiresAt, createdAt: args.at })
}

/** The newest reset issued to the user, to space out the emails. */
export async function latestPasswordReset(db: DbOrTx, args: { userId: string }) {
  const [row] = await db.select().from(passwordResets).where(eq(passwordResets.userId, args.userId)).orderBy(desc(passwordResets.createdAt)).limit(1)
  return row ?? null
}

/** The unused, unexpired reset a token names, or null. */
export async function findOpenPasswordReset(db: DbOrTx, args: { tokenHash: string; now: Date }) {
  const [row] = await db
    .select()
    .from(passwordResets)
    .where(and(eq(passwordResets.tokenHash, args.tokenHash), isNull(passwordResets.usedAt), gt(passwordResets.expiresAt, args.now)))
    .limit(1)
  return row ?? null
}

/** Use the reset once: returns its user, or null when it was used (or expired) meanwhile. */
export async function consumePasswordReset(db: DbOrTx, args: { tokenHash: string; now: Date }): Promise<{ userId: string } | null> {
  const [row] = await db
    .update(passwordResets)
    .set({ usedAt: args.now })
    .where(and(eq(passwordResets.tokenHash, args.tokenHash), isNull(passwordResets.usedAt), gt(passwordResets.expiresAt, args.now)))
    .returning({ userId: passwordResets.userId })
  return row ?? null
}

/** After a password change every other open link of the user stops working. */
export async function closePasswordResets(db: DbOrTx, args: { userId: string; now: Date }): Promise<void> {
  await db
    .update(passwordResets)
    .set({ usedAt: args.now })
    .where(and(eq(passwordResets.userId, args.userId), isNull(passwordResets.usedAt)))
}
