/**
 * Hashtag groups (docs/decisions/091-composer-queue-previews.md): a workspace's saved sets of hashtags,
 * listed in the series editor and inserted into a post with one click. Scoped to one workspace; bad
 * input is an `InputError` naming the field (a name taken: 409).
 */
import { z } from 'zod'
import { deleteHashtagGroup, insertHashtagGroup, listHashtagGroups, type HashtagGroup } from '../db/queries/hashtag-groups'
import { HashtagGroupSchema } from '../domain/hashtags'
import { InputError } from './errors'
import { parseInput } from './parse-input'
import type { Services } from './services.server'

export type HashtagGroupView = { id: string; name: string; hashtags: string[] }

const toView = (g: HashtagGroup): HashtagGroupView => ({ id: g.id, name: g.name, hashtags: g.hashtags })

export async function listWorkspaceHashtagGroups(services: Services, args: { workspaceId: string }): Promise<HashtagGroupView[]> {
  return (await listHashtagGroups(services.database.db, args)).map(toView)
}

/** Add a group (`{ name, hashtags }`, hashtags as a list or one string; `#` optional). */
export async function createHashtagGroup(services: Services, args: { workspaceId: string; input: unknown }): Promise<HashtagGroupView> {
  const input = parseInput(HashtagGroupSchema, args.input)
  const row = await insertHashtagGroup(services.database.db, { workspaceId: args.workspaceId, ...input, at: services.clock.now() })
  if (!row) throw new InputError('name', `name: this workspace already has a hashtag group called “${input.name}”`, { status: 409 })
  return toView(row)
}

/** Remove a group; 404 when the workspace has no such group (posts keep the hashtags they got). */
export async function removeHashtagGroup(services: Services, args: { workspaceId: string; groupId: string | undefined }): Promise<void> {
  const id = z.uuid().safeParse(args.groupId)
  if (!id.success || !(await deleteHashtagGroup(services.database.db, { workspaceId: args.workspaceId, groupId: id.data }))) {
    throw new InputError('groupId', 'No such hashtag group in this workspace', { status: 404 })
  }
}
