/**
 * The web app's door to core/: routes import use cases from here. Remix empties every .server module under app/ in the
 * browser build, which keeps core/ (and the database, job store and network clients below it) out of
 * the browser; core/ lives outside app/, where that rule does not reach.
 */
export * from '../core/services.server'
export * from '../core/env.server'
export * from '../core/email.server'
export * from '../core/drips.server'
export * from '../core/series.server'
export * from '../core/series-import.server'
export * from '../core/media.server'
export * from '../core/calendar.server'
export * from '../core/calendar-feed.server'
export * from '../core/onboarding.server'
export * from '../core/analytics.server'
export * from '../core/content.server'
export * from '../core/contacts.server'
export * from '../core/signup-forms.server'
export * from '../core/settings.server'
export * from '../core/workspace.server'
export * from '../core/tokens.server'
export * from '../core/series-queries.server'
export * from '../core/drip-queries.server'
export * from '../core/dashboard.server'
export * from '../core/sessions.server'
export * from '../core/users.server'
export * from '../core/health.server'
export * from '../core/accounts.server'
