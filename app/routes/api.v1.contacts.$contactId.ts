import type { LoaderFunctionArgs } from '@remix-run/node'
import { z } from 'zod'
import { apiJson, apiNotFound, apiRoute, type ApiAuth } from '~/utils/api.server'
import { contactJson, ContactUpdateSchema } from '~/utils/openapi/contacts'
import { findContact, getScoreHalfLife, removeContact, updateContactFromApi, type Contact, type Services } from '../core.server'

function contactIdOf(params: LoaderFunctionArgs['params']): string {
  const id = z.uuid().safeParse(params.contactId)
  if (!id.success) throw apiNotFound('contact')
  return id.data
}

async function render(services: Services, auth: ApiAuth, contact: Contact) {
  const halfLifeDays = await getScoreHalfLife(services, { workspaceId: auth.workspaceId })
  return apiJson(contactJson(contact, { now: services.clock.now(), halfLifeDays }))
}

export const { loader, action } = apiRoute({
  GET: async ({ services, auth, params }) => {
    const contact = await findContact(services, { workspaceId: auth.workspaceId, contactId: contactIdOf(params) })
    if (!contact) throw apiNotFound('contact')
    return render(services, auth, contact)
  },
  PATCH: async ({ services, auth, params, body }) => {
    const contactId = contactIdOf(params)
    // Existence first, so another workspace's id is a 404 whatever the body says.
    if (!(await findContact(services, { workspaceId: auth.workspaceId, contactId }))) throw apiNotFound('contact')
    const input = await body(ContactUpdateSchema)
    const contact = await updateContactFromApi(services, { workspaceId: auth.workspaceId, contactId, input })
    if (!contact) throw apiNotFound('contact')
    return render(services, auth, contact)
  },
  DELETE: async ({ services, auth, params }) => {
    if (!(await removeContact(services, { workspaceId: auth.workspaceId, contactId: contactIdOf(params) }))) throw apiNotFound('contact')
    return new Response(null, { status: 204 })
  },
})
