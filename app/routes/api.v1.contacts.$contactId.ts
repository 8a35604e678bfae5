import type { LoaderFunctionArgs } from '@remix-run/node'
import { z } from 'zod'
import { apiJson, apiMethods, apiNotFound, jsonApi, parseJsonBody, requireApiAuth, type ApiAuth } from '~/utils/api.server'
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

export const loader = jsonApi(async ({ request, context, params }) => {
  const { services } = context
  const auth = await requireApiAuth(request, services)
  const contact = await findContact(services, { workspaceId: auth.workspaceId, contactId: contactIdOf(params) })
  if (!contact) throw apiNotFound('contact')
  return render(services, auth, contact)
})

export const action = apiMethods({
  PATCH: async ({ request, context, params }) => {
    const { services } = context
    const auth = await requireApiAuth(request, services, { role: 'editor' })
    const contactId = contactIdOf(params)
    // Existence first, so another workspace's id is a 404 whatever the body says.
    if (!(await findContact(services, { workspaceId: auth.workspaceId, contactId }))) throw apiNotFound('contact')
    const input = await parseJsonBody(request, ContactUpdateSchema)
    const contact = await updateContactFromApi(services, { workspaceId: auth.workspaceId, contactId, input })
    if (!contact) throw apiNotFound('contact')
    return render(services, auth, contact)
  },
  DELETE: async ({ request, context, params }) => {
    const { services } = context
    const auth = await requireApiAuth(request, services, { role: 'editor' })
    if (!(await removeContact(services, { workspaceId: auth.workspaceId, contactId: contactIdOf(params) }))) throw apiNotFound('contact')
    return new Response(null, { status: 204 })
  },
})
