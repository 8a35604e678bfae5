import { and, asc, eq } from 'drizzle-orm'
import type { Clock } from '../../domain/clock'
import type { Db, DbOrTx } from '../client'
import { sequenceSteps, sequences, type StepContent } from '../schema'

export type SequenceKind = 'series' | 'drip'
export type SequenceStatus = 'active' | 'paused'
export type Sequence = typeof sequences.$inferSelect
export type SequenceStep = typeof sequenceSteps.$inferSelect

/** Create a sequence with its steps, in order. */
export async function createSequence(
  db: Db,
  args: {
    workspaceId: string
    kind: SequenceKind
    name: string
    timezone?: string
    maxLatenessSeconds?: number
    steps: StepContent[]
    /** Short links and UTM parameters (decision 084); default off. */
    shortLinks?: boolean
    /** The campaign tag (decision 094); default none. */
    campaign?: string | null
    clock: Clock
  },
): Promise<{ sequence: Sequence; steps: SequenceStep[] }> {
  if (args.kind !== 'series' && args.kind !== 'drip') throw new Error(`kind: must be "series" or "drip", got "${String(args.kind)}"`)
  if (!args.name.trim()) throw new Error('name: must not be empty')
  if (args.maxLatenessSeconds !== undefined && !(Number.isInteger(args.maxLatenessSeconds) && args.maxLatenessSeconds >= 0)) {
    throw new Error('maxLatenessSeconds: must be a whole number of seconds, 0 or more')
  }
  args.steps.forEach((content, i) => requireStepContent(content, `steps[${i}]`))
  const now = args.clock.now()
  return db.transaction(async (tx) => {
    const [sequence] = await tx
      .insert(sequences)
      .values({
        workspaceId: args.workspaceId,
        kind: args.kind,
        name: args.name.trim(),
        timezone: args.timezone ?? 'UTC',
        maxLatenessSeconds: args.maxLatenessSeconds,
        shortLinks: args.shortLinks ?? false,
        campaign: args.campaign ?? null,
        createdAt: now,
        updatedAt: now,
      })
      .returning()
    if (!sequence) throw new Error('insert returned nothing')
    const steps =
      args.steps.length === 0
        ? []
        : await tx
            .insert(sequenceSteps)
            .values(args.steps.map((content, position) => ({ workspaceId: args.workspaceId, sequenceId: sequence.id, position, content, createdAt: now, updatedAt: now })))
            .returning()
    return { sequence, steps: steps.sort((a, b) => a.position - b.position) }
  })
}

export async function getSequence(db: DbOrTx, args: { workspaceId: string; sequenceId: string }): Promise<Sequence | null> {
  const [row] = await db
    .select()
    .from(sequences)
    .where(and(eq(sequences.workspaceId, args.workspaceId), eq(sequences.id, args.sequenceId)))
  return row ?? null
}

export async function listSteps(db: DbOrTx, args: { workspaceId: string; sequenceId: string }): Promise<SequenceStep[]> {
  return db
    .select()
    .from(sequenceSteps)
    .where(and(eq(sequenceSteps.workspaceId, args.workspaceId), eq(sequenceSteps.sequenceId, args.sequenceId)))
    .orderBy(asc(sequenceSteps.position))
}

export function requireStepContent(content: unknown, field: string): asserts content is StepContent {
  const parts = (content as { parts?: unknown } | null)?.parts
  if (!Array.isArray(parts) || parts.length === 0) throw new Error(`${field}.parts: must list at least one part`)
  parts.forEach((part: unknown, i) => {
    if (typeof (part as { text?: unknown } | null)?.text !== 'string') throw new Error(`${field}.parts[${i}].text: must be a string`)
  })
}
