// One file per aggregate; this barrel is what drizzle-kit and the client read.
export * from './meta'
export * from './workspaces'
export * from './accounts'
export * from './users'
export * from './sequences'
export * from './deliveries'
export * from './contacts'
export * from './series'
