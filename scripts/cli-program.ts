// The operator CLI's commands (`npm run trickle -- <command>`), as a program that runs in the CLI's own
// process (scripts/cli.ts) or, on the embedded database, inside the running server that holds it
// (scripts/cli-socket.ts): one definition, the same output either way.
import { Command, CommanderError } from 'commander'
import { type Database } from '../db/client'
import { findUserByEmail } from '../db/queries/users'
import { listWorkspacesOfUser } from '../db/queries/workspaces'
import { createKeyring, reencryptAccounts, VaultError } from '../db/vault'
import { auditAccountEvent } from '../core/audit.server'
import { createApiToken } from '../core/tokens.server'
import { EmailTakenError, signUp, SignUpSchema } from '../core/users.server'
import { ConfigError, type Config } from '../core/env.server'
import { turnOffTotp } from '../core/mfa.server'
import { passwordProblem, setNewPassword } from '../core/users.server'
import { systemClock } from '../core/clock'
import { blueskyOAuthSessionKeys } from '../core/bluesky-oauth-store.server'
import { parsePrivateJwks } from '../connectors/bluesky/oauth'

/** A failure the operator can fix; printed without a stack trace. */
export class CliError extends Error {}

/** Where a run of the CLI writes, and how it reaches the database and the configuration. */
export type CliIo = {
  out(text: string): void
  err(text: string): void
  config(): Config
  withDatabase<T>(fn: (database: Database) => Promise<T>): Promise<T>
}

/**
 * Run one command line (`argv` without the node and script paths). Returns the exit code: 0, 1 for a
 * failure the operator can fix, 2 for configuration. Never exits the process (the server runs it too).
 */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const program = buildProgram(io)
  try {
    await program.parseAsync(argv, { from: 'user' })
    return 0
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode
    if (error instanceof CliError || error instanceof ConfigError || error instanceof VaultError) {
      io.err(error.message)
      return error instanceof ConfigError || error instanceof VaultError ? 2 : 1
    }
    throw error
  }
}

function buildProgram(io: CliIo): Command {
  const { withDatabase } = io
  const console = { log: io.out, error: io.err }
  const program = new Command()
    .name('trickle')
    .description('Trickle operator commands. Reads the same environment as the server (DATABASE_URL, DATA_DIR, …).')
    .showHelpAfterError()
    // Before any subcommand is added: they inherit both (a parse error must not exit the server).
    .exitOverride()
    .configureOutput({ writeOut: (text) => io.out(text.replace(/\n$/, '')), writeErr: (text) => io.err(text.replace(/\n$/, '')) })

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
      const keyring = keyringOf(io.config())
      await withDatabase(async ({ db }) => {
        const { reencrypted, failed } = await reencryptAccounts(db, { keyring })
        console.log(`Re-encrypted ${reencrypted} account(s) under key version ${keyring.current}; ${failed.length} failed.`)
        for (const failure of failed) console.error(`  account ${failure.accountId}: ${failure.reason}`)
        if (failed.length > 0) {
          throw new CliError(`${failed.length} account(s) could not be opened: keep their key in TOKEN_ENCRYPTION_PREVIOUS_KEYS, or reconnect them.`)
        }
      })
    })

  const bluesky = program.command('bluesky').description('Bluesky OAuth')
  bluesky
    .command('keys')
    .description('the client keys of BLUESKY_OAUTH_PRIVATE_KEY and how many connected accounts sign with each (before removing a key: decision 125)')
    .action(async () => {
      const config = io.config()
      if (!config.BLUESKY_OAUTH_PRIVATE_KEY) throw new CliError('BLUESKY_OAUTH_PRIVATE_KEY is not set: Bluesky accounts connect with app passwords only.')
      const kids = parsePrivateJwks(config.BLUESKY_OAUTH_PRIVATE_KEY).map((k) => k.kid)
      const sessions = await withDatabase(({ db }) => blueskyOAuthSessionKeys({ db, keyring: keyringOf(config) }))
      const on = (kid: string | null) => sessions.filter((s) => s.kid === kid)
      kids.forEach((kid, i) => {
        const users = on(kid)
        const role = i === 0 ? 'signs new connections' : users.length > 0 ? 'kept for the accounts connected with it' : 'no account uses it: it can be removed'
        console.log(`${kid}: ${role}; ${users.length} session(s)${i > 0 && users.length > 0 ? `: ${users.map((u) => u.did).join(', ')}` : ''}`)
      })
      for (const kid of new Set(sessions.map((s) => s.kid).filter((kid) => kid === null || !kids.includes(kid)))) {
        const users = on(kid)
        console.log(`${kid ?? '(unreadable)'}: not configured; ${users.length} session(s) must be reconnected: ${users.map((u) => u.did).join(', ')}`)
      }
    })
  return program
}

function keyringOf(config: Config) {
  return createKeyring({ currentKey: config.TOKEN_ENCRYPTION_KEY, currentVersion: config.TOKEN_ENCRYPTION_KEY_VERSION, previousKeys: config.TOKEN_ENCRYPTION_PREVIOUS_KEYS })
}
