import { z, type ZodType } from 'zod'
import { contactsApi } from './openapi/contacts'
import { dripsApi } from './openapi/drips'
import { jsonResponse, type OpenApiFragment } from './openapi/helpers'
import { queueApi } from './openapi/queue'
import { recurrenceApi } from './openapi/recurrence'
import { scoreRulesApi } from './openapi/score-rules'
import { segmentsApi } from './openapi/segments'
import { analyticsApi } from './openapi/analytics'
import { seriesApi } from './openapi/series'
import { workspaceApi } from './openapi/workspace'

/** Add a line here for each new area. */
const fragments: OpenApiFragment[] = [workspaceApi, recurrenceApi, contactsApi, seriesApi, dripsApi, segmentsApi, scoreRulesApi, analyticsApi, queueApi]

const errorDescriptions = {
  400: 'Bad input: malformed JSON or a field that fails validation (`field` names it)',
  401: 'Missing, malformed, unknown or revoked API token',
  403: "The token's user lacks the role this needs",
  404: 'No such object in the token’s workspace',
  409: 'The change conflicts with the current state (e.g. deleting a segment a drip uses): the message names what is in the way',
  413: 'The body is larger than 1 MiB',
}

const ErrorSchema = z.object({
  error: z.object({
    code: z.string().describe('Stable, machine-readable code, e.g. invalid_request, unauthorized, not_found'),
    message: z.string().describe('What went wrong and what to do, for people'),
    field: z.string().optional().describe('The first offending request field, dotted path'),
  }),
})

function toSchema(schema: ZodType, io: 'input' | 'output', name?: string) {
  const { $schema: _ignored, ...json } = z.toJSONSchema(schema, { target: 'draft-2020-12', io, unrepresentable: 'any' })
  // A recursive schema (segment rules) carries its own $defs: point its refs at the component's copy.
  if (!name || !json.$defs) return json
  return JSON.parse(JSON.stringify(json).replaceAll('"#/$defs/', `"#/components/schemas/${name}/$defs/`)) as typeof json
}

/** The OpenAPI 3.1 document served at /api/v1/openapi.json. */
export function buildOpenApiDocument(options: { serverUrl: string }) {
  const schemas: Record<string, unknown> = { Error: toSchema(ErrorSchema, 'output') }
  const paths: Record<string, unknown> = {}
  const tags: { name: string; description: string }[] = []
  for (const fragment of fragments) {
    for (const [name, schema] of Object.entries(fragment.requests ?? {})) schemas[name] = toSchema(schema, 'input', name)
    for (const [name, schema] of Object.entries(fragment.responses ?? {})) schemas[name] = toSchema(schema, 'output', name)
    Object.assign(paths, fragment.paths)
    tags.push(...(fragment.tags ?? []))
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Trickle API',
      version: '1',
      description:
        'JSON API of Trickle. Authenticate with `Authorization: Bearer trk_…` (Settings → API tokens, or `npm run trickle -- token create`). ' +
        'Every token is scoped to one workspace and acts with its creator’s role. Errors are `{ "error": { "code", "message", "field"? } }`.',
    },
    servers: [{ url: `${options.serverUrl.replace(/\/$/, '')}/api/v1` }],
    security: [{ bearerAuth: [] }],
    tags,
    paths,
    components: {
      securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'trk_…' } },
      schemas,
      responses: Object.fromEntries(
        Object.entries(errorDescriptions).map(([status, description]) => [`Error${status}`, jsonResponse(description, 'Error')]),
      ),
    },
  }
}
