import { z } from 'zod'
import { lineSchema } from '#domain/text'
import { apiJson, apiMethods, jsonApi, parseJsonBody, requireApiAuth } from '~/utils/api.server'
import { createContactFromApi, listContactsPage } from '../core.server'
import { contactJson, ContactCreateSchema } from '~/utils/openapi/contacts'

const ListQuery = z.object({
  search: lineSchema().max(200).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  offset: z.coerce.number().int().min(0).max(1_000_000).default(0),
})

export const loader = jsonApi(async ({ request, context }) => {
  const { services } = context
  const auth = await requireApiAuth(request, services)
  const query = ListQuery.parse(Object.fromEntries(new URL(request.url).searchParams))
  const { contacts, halfLifeDays } = await listContactsPage(services, { workspaceId: auth.workspaceId, ...query })
  const now = services.clock.now()
  return apiJson({ contacts: contacts.map((c) => contactJson(c, { now, halfLifeDays })) })
})

export const action = apiMethods({
  POST: async ({ request, context }) => {
    const { services } = context
    const auth = await requireApiAuth(request, services, { role: 'editor' })
    const input = await parseJsonBody(request, ContactCreateSchema)
    const contact = await createContactFromApi(services, { workspaceId: auth.workspaceId, input })
    return apiJson(contactJson(contact, { now: services.clock.now(), halfLifeDays: null }), { status: 201 })
  },
})
