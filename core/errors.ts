/**
 * Bad input that names the field at fault, thrown by use cases in core/ and answered by the web app as
 * an HTTP 4xx (app/utils/api.server.ts turns it into the API's error body; forms show it under the
 * field). `status` is the HTTP status the web app answers with; `code` is machine-readable.
 */
export class ApiError extends Error {
  override name = 'ApiError'
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field?: string,
  ) {
    super(message)
  }
}
