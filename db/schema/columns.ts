import { integer, timestamp } from 'drizzle-orm/pg-core'

/** An instant: timestamptz, read as a JS Date (all instants are stored in UTC). */
export const instant = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' })

/** A count kept by a roll-up: integer, not null, starting at 0. */
export const counter = (name: string) => integer(name).notNull().default(0)
