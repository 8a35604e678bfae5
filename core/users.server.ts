import { hash, verify } from '@node-rs/argon2'
import { z } from 'zod'
import { lineSchema } from '../domain/text'
import type { Db } from '../db/client'
import { findUserByEmail, getUserById, insertUser } from '../db/queries/users'
import { createWorkspace } from '../db/queries/workspaces'
import type { Services } from './services.server'

/** People who log in: sign-up (a user, their workspace and their owner membership) and the password check. */

export const PASSWORD_MIN_LENGTH = 12

/** Shared by the sign-up form, the CLI and tests. */
export const SignUpSchema = z.object({
  email: z.email('Enter an email address like name@example.com').max(254),
  password: z
    .string()
    .min(PASSWORD_MIN_LENGTH, `Use at least ${PASSWORD_MIN_LENGTH} characters`)
    .max(200, 'Use at most 200 characters'),
  name: lineSchema('Remove the control characters').trim().min(1, 'Enter your name').max(100),
  workspaceName: lineSchema('Remove the control characters').trim().min(1, 'Name your workspace (you can rename it later)').max(100),
})
export type SignUpInput = z.infer<typeof SignUpSchema>

export class EmailTakenError extends Error {
  override name = 'EmailTakenError'
}

export function hashPassword(password: string): Promise<string> {
  return hash(password)
}

/** A hash to verify against when the email is unknown, so both failures take the same time. */
let dummyHash: Promise<string> | undefined

/** The user whose email and password match, or null. */
export async function verifyLogin(db: Db, args: { email: string; password: string }) {
  const user = await findUserByEmail(db, { email: args.email })
  dummyHash ??= hash('trickle-not-a-password')
  const ok = await verify(user?.passwordHash ?? (await dummyHash), args.password).catch(() => false)
  return user && ok ? user : null
}

/** Create a user, their workspace and their owner membership in one transaction. */
export async function signUp(db: Db, input: SignUpInput) {
  const passwordHash = await hashPassword(input.password)
  return db.transaction(async (tx) => {
    if (await findUserByEmail(tx, { email: input.email })) throw new EmailTakenError('An account with this email already exists')
    const user = await insertUser(tx, { email: input.email, name: input.name, passwordHash })
    const workspace = await createWorkspace(tx, { name: input.workspaceName, ownerUserId: user.id })
    return { user, workspace }
  })
}

export async function findUser(services: Services, args: { userId: string }) {
  return getUserById(services.database.db, args)
}
