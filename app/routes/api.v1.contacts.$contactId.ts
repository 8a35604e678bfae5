import type { LoaderFunctionArgs } from '@remix-run/node'
import { z } from 'zod'
import { deleteContact, getContact, getEmailSettings } from '../../db/queries/contacts'
import { apiJson, apiMethods, apiNotFound, jsonApi, parseJsonBody, requireApiAuth, type ApiAuth } from '~/utils/api.server'
import { updateContactFromApi } from '~/utils/contacts.server'
import { contactJson, ContactUpdateSchema } from '~/utils/openapi/contacts'
import type { Services } from '../core.server'

function contactIdOf(params: LoaderFunctionArgs['params']): string {
  const id = z.uuid().safeParse(params.contactId)
  if (!id.success) throw apiNotFound('contact')
  return id.data
}

async function render(services: Services, auth: ApiAuth, contact: NonNullable<Awaited<ReturnType<typeof getContact>>>) {
  const settings = await getEmailSettings(services.database.db, { workspaceId: auth.workspaceId })
  return apiJson(contactJson(contact, { now: services.clock.now(), halfLifeDays: settings?.scoreHalfLifeDays ?? null }))
}

export const loader = jsonApi(async ({ request, context, params }) => {
  const { services } = context
  const auth = await requireApiAuth(request, services)
  const contact = await getContact(services.database.db, { workspaceId: auth.workspaceId, contactId: contactIdOf(params) })
  if (!contact) throw apiNotFound('contact')
  return render(services, auth, contact)
})

export const action = apiMethods({
  PATCH: async ({ request, context, params }) => {
    const { services } = context
    const auth = await requireApiAuth(request, services, { role: 'editor' })
    const contactId = contactIdOf(params)
    // Existence first, so another workspace's id is a 404 whatever the body says.
    if (!(await getContact(services.database.db, { workspaceId: auth.workspaceId, contactId }))) throw apiNotFound('contact')
    const input = await parseJsonBody(request, ContactUpdateSchema)
    const contact = await updateContactFromApi(services, { workspaceId: auth.workspaceId, contactId, input })
    if (!contact) throw apiNotFound('contact')
    return render(services, auth, contact)
  },
  DELETE: async ({ request, context, params }) => {
    const { services } = context
    const auth = await requireApiAuth(request, services, { role: 'editor' })
    if (!(await deleteContact(services.database.db, { workspaceId: auth.workspaceId, contactId: contactIdOf(params) }))) throw apiNotFound('contact')
    return new Response(null, { status: 204 })
  },
})
