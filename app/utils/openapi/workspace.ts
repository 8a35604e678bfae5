import { IANAZone } from 'luxon'
import { z } from 'zod'
import { lineSchema } from '#domain/text'
import { ROLES } from '#domain/roles'
import { errorResponses, jsonRequestBody, jsonResponse, type OpenApiFragment } from './helpers'

/** API contract of the accounts-and-access area: who am I, the workspace, its members and API tokens. */

export const TimezoneSchema = z
  .string()
  .refine((zone) => IANAZone.isValidZone(zone), 'must be an IANA time zone such as Europe/Berlin or UTC')

const Id = z.uuid()
const Instant = z.iso.datetime().describe('UTC instant, ISO 8601')

export const WorkspaceSchema = z.object({ id: Id, name: z.string(), timezone: z.string(), createdAt: Instant })

export const WorkspaceUpdateSchema = z
  .strictObject({
    name: lineSchema().trim().min(1, 'must not be empty').max(100, 'must be at most 100 characters').optional(),
    timezone: TimezoneSchema.optional(),
  })
  .refine((v) => v.name !== undefined || v.timezone !== undefined, 'send at least one of name, timezone')

export const MeSchema = z.object({
  user: z.object({ id: Id, email: z.string(), name: z.string() }),
  workspace: WorkspaceSchema,
  role: z.enum(ROLES),
  token: z.object({ id: Id }),
})

export const MemberSchema = z.object({ id: Id, userId: Id, email: z.string(), name: z.string(), role: z.enum(ROLES), createdAt: Instant })

export const ApiTokenSchema = z.object({
  id: Id,
  name: z.string(),
  prefix: z.string().describe('The first characters of the token'),
  userId: Id,
  lastUsedAt: Instant.nullable(),
  revokedAt: Instant.nullable(),
  createdAt: Instant,
})

const idParam = (name: string, description: string) => ({ name, in: 'path', required: true, description, schema: { type: 'string', format: 'uuid' } })

export const workspaceApi: OpenApiFragment = {
  tags: [{ name: 'workspace', description: 'The token’s workspace, its members and API tokens' }],
  requests: { WorkspaceUpdate: WorkspaceUpdateSchema },
  responses: {
    Me: MeSchema,
    Workspace: WorkspaceSchema,
    Member: MemberSchema,
    MemberList: z.object({ members: z.array(MemberSchema) }),
    ApiToken: ApiTokenSchema,
    ApiTokenList: z.object({ tokens: z.array(ApiTokenSchema) }),
  },
  paths: {
    '/me': {
      get: {
        operationId: 'getMe',
        tags: ['workspace'],
        summary: 'The token’s user, workspace and role',
        responses: { 200: jsonResponse('Who this token acts as', 'Me'), ...errorResponses(401) },
      },
    },
    '/workspace': {
      get: {
        operationId: 'getWorkspace',
        tags: ['workspace'],
        summary: 'The token’s workspace',
        responses: { 200: jsonResponse('The workspace', 'Workspace'), ...errorResponses(401) },
      },
      patch: {
        operationId: 'updateWorkspace',
        tags: ['workspace'],
        summary: 'Rename the workspace or change its time zone (editor or owner)',
        requestBody: jsonRequestBody('WorkspaceUpdate'),
        responses: { 200: jsonResponse('The updated workspace', 'Workspace'), ...errorResponses(400, 401, 403, 413) },
      },
    },
    '/members': {
      get: {
        operationId: 'listMembers',
        tags: ['workspace'],
        summary: 'Members of the workspace',
        responses: { 200: jsonResponse('Members, by name', 'MemberList'), ...errorResponses(401) },
      },
    },
    '/members/{membershipId}': {
      get: {
        operationId: 'getMember',
        tags: ['workspace'],
        summary: 'One member',
        parameters: [idParam('membershipId', 'The membership id')],
        responses: { 200: jsonResponse('The member', 'Member'), ...errorResponses(401, 404) },
      },
    },
    '/tokens': {
      get: {
        operationId: 'listApiTokens',
        tags: ['workspace'],
        summary: 'API tokens: your own, or every token of the workspace for an owner',
        responses: { 200: jsonResponse('Tokens, newest first', 'ApiTokenList'), ...errorResponses(401) },
      },
    },
    '/tokens/{tokenId}': {
      get: {
        operationId: 'getApiToken',
        tags: ['workspace'],
        summary: 'One API token (never its secret)',
        parameters: [idParam('tokenId', 'The token id')],
        responses: { 200: jsonResponse('The token', 'ApiToken'), ...errorResponses(401, 404) },
      },
      delete: {
        operationId: 'revokeApiToken',
        tags: ['workspace'],
        summary: 'Revoke an API token (your own; owners: any)',
        parameters: [idParam('tokenId', 'The token id')],
        responses: { 200: jsonResponse('The revoked token', 'ApiToken'), ...errorResponses(401, 404) },
      },
    },
  },
}

type Dated = { createdAt: Date }

export function workspaceJson(row: { id: string; name: string; timezone: string } & Dated): z.infer<typeof WorkspaceSchema> {
  return { id: row.id, name: row.name, timezone: row.timezone, createdAt: row.createdAt.toISOString() }
}

export function memberJson(row: z.infer<typeof MemberSchema> extends infer M ? Omit<M, 'createdAt'> & Dated : never) {
  return { id: row.id, userId: row.userId, email: row.email, name: row.name, role: row.role, createdAt: row.createdAt.toISOString() }
}

export function apiTokenJson(row: {
  id: string
  name: string
  prefix: string
  userId: string
  lastUsedAt: Date | null
  revokedAt: Date | null
  createdAt: Date
}): z.infer<typeof ApiTokenSchema> {
  return {
    id: row.id,
    name: row.name,
    prefix: row.prefix,
    userId: row.userId,
    lastUsedAt: row.lastUsedAt?.toISOString() ?? null,
    revokedAt: row.revokedAt?.toISOString() ?? null,
    createdAt: row.createdAt.toISOString(),
  }
}
