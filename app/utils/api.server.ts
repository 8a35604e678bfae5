import type { ActionFunctionArgs, LoaderFunctionArgs } from '@remix-run/node'
import { z, type ZodType } from 'zod'
import { API_TOKEN_PREFIX, authenticateApiToken, noteRefusedLookup, noteRequester, roleAtLeast, type Role, type Services } from '../core.server'

export { API_TOKEN_PREFIX, issueApiToken } from '../core.server'
const MAX_BODY_BYTES = 1024 * 1024

export type ApiErrorBody = { error: { code: string; message: string; field?: string } }

/** An API failure a handler can throw; `jsonApi` turns it into the JSON error shape. */
import { InputError } from '../core.server'
import { CONTROL_CHARACTER_MESSAGE, findUncleanText, MAX_JSON_DEPTH } from '#domain/text'


export function apiError(status: number, code: string, message: string, field?: string): Response {
  const body: ApiErrorBody = { error: { code, message, ...(field ? { field } : {}) } }
  const headers: Record<string, string> = { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' }
  if (status === 401) headers['WWW-Authenticate'] = 'Bearer realm="trickle"'
  return new Response(JSON.stringify(body), { status, headers })
}

export function apiJson(body: unknown, init: { status?: number } = {}): Response {
  return new Response(JSON.stringify(body), {
    status: init.status ?? 200,
    headers: { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' },
  })
}

/** The answer for an id outside the token's workspace (audited as `access.refused`, like notFound). */
export function apiNotFound(what = 'resource'): Response {
  noteRefusedLookup(what === 'resource' ? null : what.replace(/\s+/g, '-').toLowerCase())
  return apiError(404, 'not_found', `No such ${what} in this workspace`)
}

export type ApiAuth = { userId: string; workspaceId: string; tokenId: string; role: Role }

/**
 * Authenticate `Authorization: Bearer trk_…`. Throws a 401 JSON Response for a missing, malformed,
 * unknown or revoked token, and a 403 when `role` is given and the token's member is below it.
 */
export async function requireApiAuth(request: Request, services: Services, options: { role?: Role } = {}): Promise<ApiAuth> {
  const header = request.headers.get('Authorization')
  if (!header) throw apiError(401, 'unauthorized', 'Send an API token: Authorization: Bearer trk_… (create one under Settings → API tokens or with `npm run trickle -- token create`)')
  const match = /^Bearer\s+(\S+)$/i.exec(header)
  if (!match || !match[1]!.startsWith(API_TOKEN_PREFIX)) throw apiError(401, 'unauthorized', 'The Authorization header must be "Bearer trk_…"')
  const token = await authenticateApiToken(services, { token: match[1]! })
  if (!token) throw apiError(401, 'unauthorized', 'This API token is not valid: it may have been revoked, or its user left the workspace')
  noteRequester({ userId: token.userId, workspaceId: token.workspaceId })
  if (options.role && !roleAtLeast(token.role, options.role)) {
    throw apiError(403, 'forbidden', `This needs the ${options.role} role; the token's user is a ${token.role}`)
  }
  return token
}

/** Read a JSON body and validate it; throws a 400 JSON Response naming the first bad field. */
export async function parseJsonBody<S extends ZodType>(request: Request, schema: S): Promise<z.output<S>> {
  const declared = Number(request.headers.get('Content-Length') ?? 0)
  if (declared > MAX_BODY_BYTES) {
    const response = apiError(413, 'body_too_large', `The body is larger than ${MAX_BODY_BYTES} bytes`)
    // The unread body stays on the socket: close it rather than let the client reuse a poisoned connection.
    response.headers.set('Connection', 'close')
    throw response
  }
  const text = await request.text()
  if (Buffer.byteLength(text) > MAX_BODY_BYTES) throw apiError(413, 'body_too_large', `The body is larger than ${MAX_BODY_BYTES} bytes`)
  if (text.trim() === '') throw apiError(400, 'invalid_json', 'The request body is empty; send a JSON object')
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (error) {
    throw apiError(400, 'invalid_json', `The request body is not valid JSON: ${(error as Error).message}`)
  }
  const unclean = findUncleanText(value)
  if (unclean) {
    const field = unclean.path.length > 0 ? unclean.path.map(String).join('.') : undefined
    const problem = unclean.problem === 'depth' ? `is nested more than ${MAX_JSON_DEPTH} levels deep` : CONTROL_CHARACTER_MESSAGE
    throw apiError(400, 'invalid_request', `${field ?? 'The body'} ${problem}`, field)
  }
  const parsed = schema.safeParse(value)
  if (!parsed.success) throw zodErrorResponse(parsed.error)
  return parsed.data
}

function zodErrorResponse(error: z.ZodError): Response {
  const issue = error.issues[0]
  const path = issue ? [...issue.path, ...(issue.code === 'unrecognized_keys' ? issue.keys.slice(0, 1) : [])] : []
  const field = path.length > 0 ? path.map(String).join('.') : undefined
  const message = issue ? (field ? `${field}: ${issue.message}` : issue.message) : 'Invalid request'
  return apiError(400, 'invalid_request', message, field)
}

type Handler = (args: LoaderFunctionArgs | ActionFunctionArgs) => Promise<Response>

/**
 * Wrap an API loader or action: thrown Responses pass through, ZodErrors and InputErrors become the JSON
 * error shape, anything else is logged and becomes a JSON 500 without details.
 */
export function jsonApi(handler: Handler): Handler {
  return async (args) => {
    try {
      return await handler(args)
    } catch (error) {
      if (error instanceof Response) return error
      if (error instanceof z.ZodError) return zodErrorResponse(error)
      if (error instanceof InputError) {
        if (error.status === 404) noteRefusedLookup(null)
        return apiError(error.status, error.code, error.message, error.field)
      }
      args.context.services.logger.error({ err: error, method: args.request.method, path: new URL(args.request.url).pathname }, 'API request failed')
      return apiError(500, 'internal', 'Something went wrong on our side. Try again; if it keeps happening, check the server log.')
    }
  }
}

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'

/** Dispatch on the HTTP method (use for `action`, which receives every non-GET method); others get a JSON 405. */
function apiMethods(handlers: Partial<Record<Method, Handler>>): Handler {
  return jsonApi(async (args) => {
    const handler = handlers[args.request.method.toUpperCase() as Method]
    if (!handler) {
      const response = apiError(405, 'method_not_allowed', `Use one of: ${Object.keys(handlers).join(', ')}`)
      response.headers.set('Allow', Object.keys(handlers).join(', '))
      return response
    }
    return handler(args)
  })
}

/** What an `apiRoute` endpoint receives: the request, its route params, the services and the checked token. */
export type ApiCall = {
  request: Request
  params: LoaderFunctionArgs['params']
  services: Services
  auth: ApiAuth
  /** The JSON body, checked by `parseJsonBody` against `schema` (default: any JSON, for a use case that parses it itself). */
  body<S extends ZodType = z.ZodUnknown>(schema?: S): Promise<z.output<S>>
}
type Endpoint = (call: ApiCall) => Promise<Response>
/** An endpoint, or one with the least role its token needs (default: any member for GET, an editor for the others). */
type EndpointSpec = Endpoint | { role: Role; run: Endpoint }
type Endpoints = Partial<Record<Method, EndpointSpec>>

/**
 * An API route's `loader` (GET) and `action` (the other methods); a method the route does not serve gets
 * a JSON 405 naming those it does (GET too: export both, or Remix answers a GET without a loader with
 * 400). Each endpoint runs after the bearer token is checked for its role, and its errors become the
 * JSON error shape (`jsonApi`). Export both: `export const { loader, action } = apiRoute({ GET, POST })`.
 */
export function apiRoute(endpoints: Endpoints): { loader: Handler; action: Handler } {
  const handlerOf = (method: Method, spec: EndpointSpec): Handler => {
    const { role, run } = typeof spec === 'function' ? { role: method === 'GET' ? undefined : ('editor' as const), run: spec } : spec
    return async ({ request, params, context }) => {
      const { services } = context
      const auth = await requireApiAuth(request, services, { role })
      return run({ request, params, services, auth, body: <S extends ZodType>(schema?: S) => parseJsonBody(request, schema ?? z.unknown()) as Promise<z.output<S>> })
    }
  }
  const handlers = Object.fromEntries(Object.entries(endpoints).map(([method, spec]) => [method, handlerOf(method as Method, spec)]))
  const served = apiMethods(handlers)
  return { loader: served, action: served }
}
