import { createContext, useContext } from 'react'

/** The response's CSP nonce on the server (app/entry.server.tsx); empty in the browser, which hides nonces from the DOM. */
const NonceContext = createContext('')

export const NonceProvider = NonceContext.Provider

export function useNonce(): string {
  return useContext(NonceContext)
}
