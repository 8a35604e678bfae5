/** A member's role in a workspace, least to most: viewers read, editors write, owners also manage people and approve. */
export const ROLES = ['viewer', 'editor', 'owner'] as const
export type Role = (typeof ROLES)[number]

const ROLE_RANK: Record<Role, number> = { viewer: 0, editor: 1, owner: 2 }

/** Whether `role` may do what needs `minimum`. */
export function roleAtLeast(role: Role, minimum: Role): boolean {
  return ROLE_RANK[role] >= ROLE_RANK[minimum]
}

/** "an owner", "an editor", "a viewer": the role with its article, for sentences. */
export function roleWithArticle(role: Role): string {
  return `${/^[aeiou]/.test(role) ? 'an' : 'a'} ${role}`
}
