/**
 * The one error for bad input, thrown by use cases in core/: it names the field at fault (when one is),
 * says what to do, and carries the HTTP status the web app answers with and a machine-readable `code`
 * for the API (app/utils/api.server.ts turns it into the API's error body; forms show it under the field).
 */
export class InputError extends Error {
  override name = 'InputError'
  readonly status: number
  readonly code: string
  constructor(
    readonly field: string | undefined,
    message: string,
    options: { status?: number; code?: string } = {},
  ) {
    super(message)
    this.status = options.status ?? 400
    this.code = options.code ?? CODES[this.status] ?? 'invalid_request'
  }
}

const CODES: Record<number, string> = {
  400: 'invalid_request',
  403: 'forbidden',
  404: 'not_found',
  409: 'conflict',
  413: 'too_large',
  415: 'unsupported_media_type',
  422: 'unprocessable',
  429: 'rate_limited',
}
