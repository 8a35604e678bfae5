import { apiJson, apiMethods, requireApiAuth } from '~/utils/api.server'
import { enrollmentJson } from '~/utils/openapi/drips'
import { dripIdOf, removeFromDrip } from '../core.server'

/** Remove a contact from a drip: its active enrollment ends as `exited`, the reason recorded (decision 074). */
export const action = apiMethods({
  DELETE: async ({ request, context, params }) => {
    const { services } = context
    const auth = await requireApiAuth(request, services, { role: 'editor' })
    const reason = new URL(request.url).searchParams.get('reason')
    const { exited } = await removeFromDrip(services, {
      workspaceId: auth.workspaceId,
      dripId: dripIdOf(params),
      contactId: params.contactId ?? '',
      by: 'the API',
      input: reason === null ? {} : { reason },
    })
    return apiJson({ enrollments: exited.map(enrollmentJson) })
  },
})

/** Other methods (GET) get the JSON 405 naming DELETE. */
export const loader = action
