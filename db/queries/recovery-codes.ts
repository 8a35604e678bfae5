import { and, count, eq, isNull } from 'drizzle-orm'
import type { DbOrTx } from '../client'
import { recoveryCodes } from '../schema'

/** A user's TOTP recovery codes, as sha256 hashes; each works once. */

export async function replaceRecoveryCodes(db: DbOrTx, args: { userId: string; codeHashes: string[]; at: Date }): Promise<void> {
  await db.delete(recoveryCodes).where(eq(recoveryCodes.userId, args.userId))
  if (args.codeHashes.length > 0) {
    await db.insert(recoveryCodes).values(args.codeHashes.map((codeHash) => ({ userId: args.userId, codeHash, createdAt: args.at })))
  }
}

/** Use a code once: true when it was the user's and unused. */
export async function consumeRecoveryCode(db: DbOrTx, args: { userId: string; codeHash: string; now: Date }): Promise<boolean> {
  const rows = await db
    .update(recoveryCodes)
    .set({ usedAt: args.now })
    .where(and(eq(recoveryCodes.userId, args.userId), eq(recoveryCodes.codeHash, args.codeHash), isNull(recoveryCodes.usedAt)))
    .returning({ id: recoveryCodes.id })
  return rows.length === 1
}

export async function countUnusedRecoveryCodes(db: DbOrTx, args: { userId: string }): Promise<number> {
  const [row] = await db
    .select({ n: count() })
    .from(recoveryCodes)
    .where(and(eq(recoveryCodes.userId, args.userId), isNull(recoveryCodes.usedAt)))
  return row?.n ?? 0
}
