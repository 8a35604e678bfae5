import { and, eq, isNull, lt, or } from 'drizzle-orm'
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

export async function setUserPassword(db: DbOrTx, args: { userId: string; passwordHash: string; at: Date }) {
  await db.update(users).set({ passwordHash: args.passwordHash, passwordChangedAt: args.at }).where(eq(users.id, args.userId))
}

/** Store a sealed TOTP secret awaiting confirmation (not in force until `enableTotp`). */
export async function setPendingTotp(db: DbOrTx, args: { userId: string; secretCiphertext: string }) {
  await db.update(users).set({ totpSecretCiphertext: args.secretCiphertext, totpEnabledAt: null, totpLastStep: null }).where(eq(users.id, args.userId))
}

export async function enableTotp(db: DbOrTx, args: { userId: string; step: number; at: Date }) {
  await db.update(users).set({ totpEnabledAt: args.at, totpLastStep: args.step }).where(eq(users.id, args.userId))
}

export async function disableTotp(db: DbOrTx, args: { userId: string }) {
  await db.update(users).set({ totpSecretCiphertext: null, totpEnabledAt: null, totpLastStep: null }).where(eq(users.id, args.userId))
}

/** Record an accepted code's step, only if it is later than the last one: false means a replay (or a race lost). */
export async function advanceTotpStep(db: DbOrTx, args: { userId: string; step: number }): Promise<boolean> {
  const rows = await db
    .update(users)
    .set({ totpLastStep: args.step })
    .where(and(eq(users.id, args.userId), or(isNull(users.totpLastStep), lt(users.totpLastStep, args.step))))
    .returning({ id: users.id })
  return rows.length === 1
}

/** The person's chosen locale for times and weeks; null follows their browser. */
export async function setUserLocale(db: DbOrTx, args: { userId: string; locale: string | null }) {
  await db.update(users).set({ locale: args.locale }).where(eq(users.id, args.userId))
}
