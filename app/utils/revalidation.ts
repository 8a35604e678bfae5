import type { ShouldRevalidateFunction } from '@remix-run/react'

/**
 * Resource routes that only compute a preview and write nothing: the drip step preview, the drip
 * timeline and the segment count. Remix runs every loader of the page again after any action, fetchers'
 * included, so each keystroke of a preview reloaded the page's data; worse, such a reload racing with a
 * form's redirect could cancel the request that carried its one-time toast (the flash is read once).
 */
export const PREVIEW_ACTIONS = ['/app/drips/preview', '/app/drips/timeline', '/app/contacts/segments/preview'] as const

/** Export as `shouldRevalidate` from every route whose page submits a preview (and from root and app). */
export const skipPreviewRevalidation: ShouldRevalidateFunction = ({ formAction, defaultShouldRevalidate }) =>
  formAction !== undefined && (PREVIEW_ACTIONS as readonly string[]).includes(formAction.split('?')[0]!) ? false : defaultShouldRevalidate
