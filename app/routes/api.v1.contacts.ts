import { z } from 'zod'
import { lineSchema } from '#domain/text'
import { apiJson, apiRoute } from '~/utils/api.server'
import { createContactFromApi, listContactsPage } from '../core.server'
import { contactJson, ContactCreateSchema } from '~/utils/openapi/contacts'

const ListQuery = z.object({
  search: lineSchema().max(200).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  offset: z.coerce.number().int().min(0).max(1_000_000).default(0),
})

export const { loader, action } = apiRoute({
  GET: async ({ request, services, auth }) => {
    const query = ListQuery.parse(Object.fromEntries(new URL(request.url).searchParams))
    const { contacts, halfLifeDays } = await listContactsPage(services, { workspaceId: auth.workspaceId, ...query })
    const now = services.clock.now()
    return apiJson({ contacts: contacts.map((c) => contactJson(c, { now, halfLifeDays })) })
  },
  POST: async ({ services, auth, body }) => {
    const contact = await createContactFromApi(services, { workspaceId: auth.workspaceId, input: await body(ContactCreateSchema) })
    return apiJson(contactJson(contact, { now: services.clock.now(), halfLifeDays: null }), { status: 201 })
  },
})
