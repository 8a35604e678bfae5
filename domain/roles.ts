/** A member's role in a workspace, least to most: viewers read, editors write, owners also manage people and approve. */
export const ROLES = ['viewer', 'editor', 'owner'] as const
export type Role = (typeof ROLES)[number]
