import { apiError, jsonApi } from '~/utils/api.server'

/** Unknown API paths answer in the API's JSON error shape rather than with the HTML 404 page. */
const notFound = jsonApi(async ({ request }) => apiError(404, 'not_found', `No API endpoint ${request.method} ${new URL(request.url).pathname}`))

export const loader = notFound
export const action = notFound
