// `npm run trickle -- <command>`: operator commands that work without a browser.
import { Command } from 'commander'
import { openDatabase, type Database } from '../db/client'
import { findUserByEmail } from '../db/queries/users'
import { listWorkspacesOfUser } from '../db/queries/workspaces'
import { createKeyring, reencryptAccounts, VaultError } from '../db/vault'
import { holdEmbeddedDatabase, isEmbeddedDatabaseBusy } from '../db/embedded-lock'
import { auditAccountEvent } from '../core/audit.server'
import { createApiToken } from '../core/tokens.server'
import { EmailTakenError, signUp, SignUpSchema } from '../core/users.server'
import { ConfigError, loadConfig } from '../core/env.server'
import { turnOffTotp } from '../core/mfa.server'
import { passwordProblem, setNewPassword } from '../core/users.server'
import { systemClock } from '../core/clock'
import path from 'node:path'

/** A failure the operator can fix; printed without a stack trace. */
class CliError extends Error {}

/** Open the database exactly as the server does (DATABASE_URL, else the embedded one in DATA_DIR/app). */
async function withDatabase<T>(fn: (database: Database) => Promise<T>): Promise<T> {
  const config = loadConfig()
  if (config.DATABASE_URL) {
    const database = await openDatabase({ url: config.DATABASE_URL, max: 2 })
    try {
      return await fn(database)
    } finally {
      await database.close()
    }
  }
  const busy = isEmbeddedDatabaseBusy(config.DATA_DIR)
  if (busy) {
    throw new CliError(
      `The embedded database in ${path.resolve(config.DATA_DIR, 'app')} is open in a running Trickle (pid ${busy.pid}), ` +
        'and it can only be used by one process at a time. Stop `npm start` (Ctrl+C), run this command, then start it again — ' +
        'or run Trickle on PostgreSQL (DATABASE_URL), where the CLI works alongside the server.',
    )
  }
  const lock = holdEmbeddedDatabase(config.DATA_DIR)
  try {
    const database = await openDatabase({ dataDir: path.join(config.DATA_DIR, 'app') })
    try {
      return await fn(database)
    } finally {
      await database.close()
    }
  } finally {
    lock.release()
  }
}

const program = new Command()
  .name('trickle')
  .description('Trickle operator commands. Reads the same environment as the server (DATABASE_URL, DATA_DIR, …).')
  .showHelpAfterError()

const user = program.command('user').description('manage users')
user
  .command('create')
  .description('create a user with a new workspace they own')
  .requiredOption('--email <email>', 'email address, used to log in')
  .requiredOption('--password <password>', 'password, at least 12 characters')
  .requiredOption('--workspace <name>', 'name of the new workspace')
  .option('--name <name>', 'display name (default: the part of the email before @)')
  .action(async (options: { email: string; password: string; workspace: string; name?: string }) => {
    const parsed = SignUpSchema.safeParse({
      email: options.email,
      password: options.password,
      name: options.name ?? options.email.split('@')[0],
      workspaceName: options.workspace,
    })
    if (!parsed.success) {
      const flag: Record<string, string> = { email: '--email', password: '--password', name: '--name', workspaceName: '--workspace' }
      throw new CliError(parsed.error.issues.map((i) => `${flag[String(i.path[0])] ?? i.path.join('.')}: ${i.message}`).join('\n'))
    }
    await withDatabase(async ({ db }) => {
      try {
        const { user, workspace } = await signUp(db, parsed.data)
        console.log(`Created user ${user.email} (${user.id}) as owner of workspace "${workspace.name}" (${workspace.id}).`)
      } catch (error) {
        if (error instanceof EmailTakenError) throw new CliError(`--email: a user with the email ${parsed.data.email} already exists`)
        throw error
      }
    })
  })

user
  .command('reset-password')
  .description('set a new password for a user (when no email can reach them) and sign them out everywhere')
  .requiredOption('--email <email>', 'the user')
  .requiredOption('--password <password>', 'the new password: at least 12 characters, not a common one')
  .option('--disable-totp', 'also turn off their two-step verification (lost phone and recovery codes)')
  .action(async (options: { email: string; password: string; disableTotp?: boolean }) => {
    await withDatabase(async (database) => {
      const found = await findUserByEmail(database.db, { email: options.email })
      if (!found) throw new CliError(`--email: no user with the email ${options.email}`)
      const problem = passwordProblem(options.password, [found.email, found.name])
      if (problem) throw new CliError(`--password: ${problem}`)
      // The workspaces' audit logs get the change (no log line: the CLI prints what it did).
      const services = { database, clock: systemClock, onAccountEvent: auditAccountEvent }
      const { sessionsEnded } = await setNewPassword(services, { userId: found.id, password: options.password, by: 'operator' })
      if (options.disableTotp) await turnOffTotp(services, { userId: found.id, by: 'operator' })
      console.log(
        `Set a new password for ${found.email}; ${sessionsEnded} session(s) signed out${options.disableTotp ? '; two-step verification is off' : ''}.`,
      )
    })
  })

const token = program.command('token').description('manage API tokens')
token
  .command('create')
  .description('create an API token for a user in one of their workspaces and print it (shown only once)')
  .requiredOption('--email <email>', 'the user the token acts as')
  .requiredOption('--name <name>', 'what the token is for, e.g. "CI publisher"')
  .option('--workspace <name-or-id>', 'the workspace (needed when the user belongs to several)')
  .action(async (options: { email: string; name: string; workspace?: string }) => {
    const name = options.name.trim()
    if (!name || name.length > 100) throw new CliError('--name: give the token a name of 1 to 100 characters')
    await withDatabase(async (database) => {
      const db = database.db
      const found = await findUserByEmail(db, { email: options.email })
      if (!found) throw new CliError(`--email: no user with the email ${options.email} (create one with \`user create\`)`)
      const workspaces = await listWorkspacesOfUser(db, { userId: found.id })
      const wanted = options.workspace?.trim().toLowerCase()
      const candidates = wanted ? workspaces.filter((w) => w.workspaceId === wanted || w.name.toLowerCase() === wanted) : workspaces
      const list = workspaces.map((w) => `  ${w.workspaceId}  ${w.name} (${w.role})`).join('\n')
      if (candidates.length === 0) {
        throw new CliError(
          workspaces.length === 0
            ? `${found.email} is not a member of any workspace`
            : `--workspace: ${found.email} is not a member of "${options.workspace}". Their workspaces:\n${list}`,
        )
      }
      if (candidates.length > 1) throw new CliError(`--workspace: ${found.email} belongs to several workspaces; pick one by id:\n${list}`)
      const workspace = candidates[0]!
      const created = await createApiToken({ database, clock: systemClock }, { workspaceId: workspace.workspaceId, userId: found.id, name, by: 'operator' })
      console.error(`API token "${name}" for ${found.email} in "${workspace.name}" (${workspace.role}); it is shown only once:`)
      console.log(created.token)
    })
  })

const tokens = program.command('tokens').description('manage stored account tokens')
tokens
  .command('reencrypt')
  .description('re-seal every account\'s tokens under TOKEN_ENCRYPTION_KEY (after moving the old key to TOKEN_ENCRYPTION_PREVIOUS_KEYS)')
  .action(async () => {
    const config = loadConfig()
    const keyring = createKeyring({
      currentKey: config.TOKEN_ENCRYPTION_KEY,
      currentVersion: config.TOKEN_ENCRYPTION_KEY_VERSION,
      previousKeys: config.TOKEN_ENCRYPTION_PREVIOUS_KEYS,
    })
    await withDatabase(async ({ db }) => {
      const { reencrypted, failed } = await reencryptAccounts(db, { keyring })
      console.log(`Re-encrypted ${reencrypted} account(s) under key version ${keyring.current}; ${failed.length} failed.`)
      for (const failure of failed) console.error(`  account ${failure.accountId}: ${failure.reason}`)
      if (failed.length > 0) {
        throw new CliError(`${failed.length} account(s) could not be opened: keep their key in TOKEN_ENCRYPTION_PREVIOUS_KEYS, or reconnect them.`)
      }
    })
  })

try {
  await program.parseAsync()
} catch (error) {
  if (error instanceof CliError || error instanceof ConfigError || error instanceof VaultError) {
    console.error(error.message)
    process.exit(error instanceof ConfigError || error instanceof VaultError ? 2 : 1)
  }
  throw error
}
