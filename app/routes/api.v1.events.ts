import { apiJson, apiRoute } from '~/utils/api.server'
import { recordApiEvent, onContactTrigger } from '../core.server'
import { EventInputSchema } from '~/utils/openapi/contacts'

export const { loader, action } = apiRoute({
  POST: async ({ services, auth, body }) => {
    const input = await body(EventInputSchema)
    const result = await recordApiEvent(services, { workspaceId: auth.workspaceId, input })
    // Drips: enroll into drips triggered by this event, end enrollments whose goal it is (once per event).
    if (!result.duplicate) {
      await onContactTrigger(services, { workspaceId: auth.workspaceId, contactId: result.contactId, trigger: { kind: 'event', event: input.type, eventId: result.event.id } })
    }
    return apiJson(
      {
        id: result.event.id,
        contactId: result.contactId,
        type: result.event.name ?? input.type,
        duplicate: result.duplicate,
        scoreDelta: result.event.scoreDelta,
        occurredAt: result.event.occurredAt.toISOString(),
      },
      { status: result.duplicate ? 200 : 201 },
    )
  },
})
