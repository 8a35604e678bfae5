/**
 * The shortest password Trickle accepts. Its own module, free of server-only code, so the sign-up and
 * reset pages can render the same hint on the server and in the browser (a value imported from a
 * `.server` module is `undefined` in the browser bundle, which broke hydration on /signup).
 */
export const PASSWORD_MIN_LENGTH = 12
