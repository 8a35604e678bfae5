import { timestamp } from 'drizzle-orm/pg-core'

/** An instant: timestamptz, read as a JS Date (all instants are stored in UTC). */
export const instant = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' })
