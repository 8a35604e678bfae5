import type { ZodType } from 'zod'

/**
 * One area's part of the API description. `paths` are OpenAPI 3.1 path items (plain objects, relative
 * to /api/v1) that point at schemas with `schemaRef(name)`; the named zod schemas become
 * components.schemas (`requests` as their input shape, `responses` as their output shape).
 */
export type OpenApiFragment = {
  tags?: { name: string; description: string }[]
  requests?: Record<string, ZodType>
  responses?: Record<string, ZodType>
  paths: Record<string, Record<string, unknown>>
}

export const schemaRef = (name: string) => ({ $ref: `#/components/schemas/${name}` })

/** A JSON response with one named schema. */
export function jsonResponse(description: string, schemaName: string) {
  return { description, content: { 'application/json': { schema: schemaRef(schemaName) } } }
}

/** A JSON request body with one named schema. */
export function jsonRequestBody(schemaName: string) {
  return { required: true, content: { 'application/json': { schema: schemaRef(schemaName) } } }
}

/** The standard error responses, by status. */
export function errorResponses(...statuses: (400 | 401 | 403 | 404 | 409 | 413)[]) {
  return Object.fromEntries(statuses.map((status) => [String(status), { $ref: `#/components/responses/Error${status}` }]))
}
