/** A bad request a route turns into a 400 naming the field. */
export class SeriesInputError extends Error {
  override name = 'SeriesInputError'
  constructor(
    readonly field: string,
    message: string,
    readonly status = 400,
  ) {
    super(message)
  }
}
