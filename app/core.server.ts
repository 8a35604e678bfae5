/**
 * The web app's door to core/: routes import use cases from here. Remix empties every .server module under app/ in the
 * browser build, which keeps core/ (and the database, job store and network clients below it) out of
 * the browser; core/ lives outside app/, where that rule does not reach.
 */
export * from '../core/services.server'
export * from '../core/env.server'
export * from '../core/email.server'
export * from '../core/drips.server'
export * from '../core/series/errors'
export * from '../core/series/schemas'
export * from '../core/series/timing'
export { schedulerOf } from '../core/series/planning.server'
export { validatePostFor } from '../core/series/validation.server'
export * from '../core/series/editing.server'
export * from '../core/series/approval.server'
export * from '../core/series/pause.server'
export * from '../core/series/calendar-actions.server'
export * from '../core/series/draft-check.server'
export * from '../core/series-import.server'
export * from '../core/media.server'
export * from '../core/calendar.server'
export * from '../core/calendar-feed.server'
export * from '../core/onboarding.server'
export * from '../core/analytics.server'
export * from '../core/content.server'
