import { apiJson, apiRoute } from '~/utils/api.server'
import { enrollmentJson } from '~/utils/openapi/drips'
import { dripIdOf, removeFromDrip } from '../core.server'

/** Remove a contact from a drip: its active enrollment ends as `exited`, the reason recorded (decision 074). */
export const { loader, action } = apiRoute({
  DELETE: async ({ request, services, auth, params }) => {
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
