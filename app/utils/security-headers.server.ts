import { randomBytes } from 'node:crypto'
import type { NextFunction, Request as ExpressRequest, Response as ExpressResponse } from 'express'
import helmet from 'helmet'

/**
 * Browser security headers (ASVS 5.0 V3.4) with helmet, on every response. Scripts run only from our
 * origin or with this response's nonce (`cspNonce`, passed to Remix's inline scripts through the load
 * context: app/entry.server.tsx, app/root.tsx). Styles allow 'unsafe-inline': React and Mantine render
 * `style` attributes and Mantine its CSS variables as inline <style>. Pages may be framed only by our
 * own origin, except the public signup form, which customers embed on their sites; the open-tracking
 * pixel and form pages may be loaded cross-origin. HSTS and upgrade-insecure-requests only with an
 * https APP_URL. See docs/decisions/064-http-hardening.md.
 */

/** Paths other sites legitimately embed: the hosted/embeddable signup form and its confirmation page. */
const EMBEDDABLE = /^\/f\//
/** Paths other sites (mail clients) load as subresources: the tracking pixel and clicks. */
const CROSS_ORIGIN_RESOURCES = /^\/t\//

export function cspNonceOf(res: ExpressResponse): string {
  return (res.locals as { cspNonce?: string }).cspNonce ?? ''
}

export function securityHeaders(args: { appUrl: string }) {
  const https = new URL(args.appUrl).protocol === 'https:'
  const build = (options: { embeddable: boolean; crossOriginResource: boolean }) =>
    helmet({
      contentSecurityPolicy: {
        useDefaults: false,
        directives: {
          'default-src': ["'self'"],
          'script-src': ["'self'", (_req, res) => `'nonce-${cspNonceOf(res as ExpressResponse)}'`],
          'style-src': ["'self'", "'unsafe-inline'"],
          'img-src': ["'self'", 'data:', 'blob:'],
          'font-src': ["'self'", 'data:'],
          'connect-src': ["'self'"],
          'object-src': ["'none'"],
          'base-uri': ["'none'"],
          // Connecting an account posts a form that redirects to the network's authorization page (any
          // Mastodon instance; loopback servers over http in development and tests).
          'form-action': ["'self'", 'https:', ...(https ? [] : ['http:'])],
          'frame-ancestors': options.embeddable ? ['*'] : ["'self'"],
          'script-src-attr': ["'none'"],
          ...(https ? { 'upgrade-insecure-requests': [] } : {}),
        },
      },
      crossOriginOpenerPolicy: { policy: 'same-origin' },
      crossOriginResourcePolicy: { policy: options.crossOriginResource ? 'cross-origin' : 'same-origin' },
      referrerPolicy: { policy: 'strict-origin-when-cross-origin' },
      strictTransportSecurity: https ? { maxAge: 365 * 24 * 60 * 60, includeSubDomains: true } : false,
      xFrameOptions: options.embeddable ? false : { action: 'sameorigin' },
    })
  const pages = build({ embeddable: false, crossOriginResource: false })
  const embeddable = build({ embeddable: true, crossOriginResource: true })
  const resources = build({ embeddable: false, crossOriginResource: true })
  return (req: ExpressRequest, res: ExpressResponse, next: NextFunction) => {
    res.locals.cspNonce = randomBytes(16).toString('base64')
    const apply = EMBEDDABLE.test(req.path) ? embeddable : CROSS_ORIGIN_RESOURCES.test(req.path) ? resources : pages
    apply(req, res, next)
  }
}
