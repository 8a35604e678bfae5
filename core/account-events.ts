import type { Services } from './services.server'

/**
 * Security-relevant things that happen to a person's account. Every use case in users.server.ts,
 * sessions.server.ts, mfa.server.ts and login.server.ts reports through `reportAccountEvent`, so an audit
 * log attaches in one place (`Services.onAccountEvent`). Never carries a password, code or token.
 */
export type AccountEvent =
  | { type: 'login-succeeded'; userId: string; ip: string | null; secondFactor: 'none' | 'totp' | 'recovery-code' }
  | { type: 'login-failed'; email: string; ip: string | null; reason: 'password' | 'second-factor' }
  | { type: 'login-throttled'; email: string; ip: string | null; waitMs: number }
  | { type: 'password-changed'; userId: string; by: 'user' | 'reset-link' | 'operator'; sessionsEnded: number }
  | { type: 'password-reset-requested'; userId: string; ip: string | null; mailed: boolean }
  | { type: 'totp-enabled' | 'recovery-codes-renewed'; userId: string }
  | { type: 'totp-disabled'; userId: string; by: 'user' | 'operator' }
  | { type: 'recovery-code-used'; userId: string; remaining: number }

/** The services a listener may use (the audit log writes with the database). */
export type AccountEventServices = Pick<Services, 'database' | 'clock'> & { logger?: Services['logger'] }

export type AccountEventListener = (event: AccountEvent & { at: Date }, services: AccountEventServices) => void | Promise<void>

/** Tell the listener (awaited: the audit log has the event when the use case returns). */
export async function reportAccountEvent(
  services: Pick<Services, 'database' | 'clock' | 'onAccountEvent'> & { logger?: Services['logger'] },
  event: AccountEvent,
): Promise<void> {
  try {
    await services.onAccountEvent?.({ ...event, at: services.clock.now() }, services)
  } catch (error) {
    // A listener never breaks a log-in.
    services.logger?.error({ err: error, event: event.type }, 'account event listener failed')
  }
}

/** Every listener, in turn (one failing does not stop the others). */
export function allAccountEventListeners(...listeners: AccountEventListener[]): AccountEventListener {
  return async (event, services) => {
    for (const listener of listeners) {
      try {
        await listener(event, services)
      } catch (error) {
        services.logger?.error({ err: error, event: event.type }, 'account event listener failed')
      }
    }
  }
}

/** The default listener: every account event becomes a security log line (failures and throttling as warnings). */
export function logAccountEvents(logger: Pick<Services['logger'], 'info' | 'warn'>): (event: AccountEvent & { at: Date }) => void {
  return (event) => {
    const level = event.type === 'login-failed' || event.type === 'login-throttled' ? 'warn' : 'info'
    logger[level]({ security: event }, `account event: ${event.type}`)
  }
}
