/**
 * Import many posts into the series editor: CSV (one post per row; a `text` column, optional
 * `part_2`…`part_25` columns for the rest of a thread, optional `variant_<network>` columns such as
 * `variant_x` or `variant_linkedin` for a network's own text, decision 098) or Markdown (posts separated
 * by a line `---`).
 * Every row is parsed and validated for the chosen accounts first (the same connector validation as
 * saving); the editor accepts the rows only when none has a problem, so nothing is half-imported.
 */
import { z } from 'zod'
import { listAccounts } from '../db/queries/accounts'
import { CsvError, parseCsv } from '../domain/email/csv'
import { NETWORK_KEY } from '../domain/series/variants'
import { isConnectorKind } from '../connectors/registry'
import { MAX_POSTS, MAX_THREAD_PARTS, postForNetwork, splitPosts, type PartInput, type PostInput } from './series/schemas'
import { validatePostFor } from './series/validation.server'
import type { Services } from './services.server'

export type ImportFormat = 'csv' | 'markdown'
export type ImportRow = { row: number; post: PostInput; errors: string[] }
export type ImportPreview = { ok: true; format: ImportFormat; rows: ImportRow[]; problems: number } | { ok: false; field: string; error: string }

export const MAX_IMPORT_BYTES = 2 * 1024 * 1024

/** CSV when it looks like a header with a `text` column, else Markdown. */
export function detectFormat(text: string, fileName?: string): ImportFormat {
  if (fileName && /\.csv$/i.test(fileName)) return 'csv'
  if (fileName && /\.(md|markdown|txt)$/i.test(fileName)) return 'markdown'
  const first = text.replace(/^\uFEFF/, '').split(/\r?\n/, 1)[0] ?? ''
  return /^"?text"?\s*(,|$)/i.test(first.trim()) ? 'csv' : 'markdown'
}

/** Parse without validating for networks: rows with their own problems (row numbers as the user sees them). */
export function parseImport(text: string, format: ImportFormat): ImportPreview {
  if (format === 'markdown') {
    const posts = splitPosts(text.replace(/^\uFEFF/, ''))
    if (posts.length === 0) return { ok: false, field: 'text', error: 'text: nothing to import; separate posts with a line holding only ---' }
    if (posts.length > MAX_POSTS) return { ok: false, field: 'text', error: `text: ${posts.length} posts; a series has at most ${MAX_POSTS}` }
    return { ok: true, format, rows: posts.map((p, i) => ({ row: i + 1, post: { parts: [{ text: p, images: [] }] }, errors: [] })), problems: 0 }
  }
  let table: string[][]
  try {
    table = parseCsv(text)
  } catch (error) {
    if (error instanceof CsvError) return { ok: false, field: 'text', error: `text: the CSV is malformed at ${error.message}` }
    throw error
  }
  const [header, ...body] = table
  const columns = (header ?? []).map((h) => h.trim().toLowerCase())
  const textColumn = columns.indexOf('text')
  if (textColumn < 0) return { ok: false, field: 'text', error: 'text: the CSV needs a header line with a `text` column (optional: part_2, part_3, … for threads)' }
  const variantOf = (c: string) => (c.startsWith('variant_') && NETWORK_KEY.test(c.slice('variant_'.length)) ? c.slice('variant_'.length) : null)
  const unknown = columns.filter((c, i) => i !== textColumn && !/^part_(\d+)$/.test(c) && !variantOf(c))
  if (unknown.length) return { ok: false, field: 'text', error: `text: unknown column ${unknown.map((c) => `“${c}”`).join(', ')}; use text, part_2 … part_${MAX_THREAD_PARTS} and variant_<network> (variant_x, variant_linkedin, …)` }
  const variantColumns = columns.flatMap((c, i) => (variantOf(c) ? [{ network: variantOf(c)!, i }] : []))
  const partColumns = columns
    .map((c, i) => ({ n: Number(/^part_(\d+)$/.exec(c)?.[1] ?? 0), i }))
    .filter((c) => c.n >= 2)
    .sort((a, b) => a.n - b.n)
  if (partColumns.some((c) => c.n > MAX_THREAD_PARTS)) return { ok: false, field: 'text', error: `text: a thread has at most ${MAX_THREAD_PARTS} parts` }
  if (body.length === 0) return { ok: false, field: 'text', error: 'text: the CSV has a header but no rows' }
  if (body.length > MAX_POSTS) return { ok: false, field: 'text', error: `text: ${body.length} rows; a series has at most ${MAX_POSTS} posts` }
  const rows = body.map((cells, i): ImportRow => {
    const errors: string[] = []
    if (cells.length > columns.length) errors.push(`has ${cells.length} values for ${columns.length} columns`)
    const first = (cells[textColumn] ?? '').trim()
    if (!first) errors.push('text is empty')
    const rest = partColumns.map((c) => (cells[c.i] ?? '').trim()).filter(Boolean)
    const variants = variantColumns.flatMap((c) => {
      const text = (cells[c.i] ?? '').trim()
      return text ? [[c.network, { parts: [{ text, images: [] as PartInput['images'] }] }] satisfies [string, { parts: PartInput[] }]] : []
    })
    const post: PostInput = { parts: [first, ...rest].map((t) => ({ text: t, images: [] })), ...(variants.length ? { variants: Object.fromEntries(variants) } : {}) }
    return { row: i + 2, post, errors }
  })
  return { ok: true, format, rows, problems: rows.filter((r) => r.errors.length).length }
}

export const ImportFormSchema = z.preprocess(
  (raw) => {
    const form = raw as Record<string, unknown>
    return { ...form, accountIds: Object.keys(form).filter((k) => k.startsWith('account-')).map((k) => k.slice('account-'.length)) }
  },
  z.object({
    format: z.enum(['auto', 'csv', 'markdown'], { error: "format: 'auto', 'csv' or 'markdown'" }).default('auto'),
    text: z.string().max(MAX_IMPORT_BYTES, { error: 'text: at most 2 MB' }).default(''),
    file: z
      .custom<File>((v) => v === undefined || v === '' || (typeof File !== 'undefined' && v instanceof File), { error: 'file: not a file' })
      .optional()
      .transform((v) => (v instanceof File && v.size > 0 ? v : undefined))
      .refine((f) => !f || f.size <= MAX_IMPORT_BYTES, { error: 'file: at most 2 MB' }),
    accountIds: z.array(z.string()),
  }),
)

/** Parse the pasted text or uploaded file and validate every row for the chosen accounts. */
export async function previewImport(services: Services, args: { workspaceId: string; input: z.infer<typeof ImportFormSchema> }): Promise<ImportPreview> {
  const { input } = args
  const text = input.file ? await input.file.text() : input.text
  if (!text.trim()) return { ok: false, field: 'text', error: 'text: paste posts or choose a CSV or Markdown file' }
  const format = input.format === 'auto' ? detectFormat(text, input.file?.name) : input.format
  const parsed = parseImport(text, format)
  if (!parsed.ok) return parsed
  const accounts = (await listAccounts(services.database.db, { workspaceId: args.workspaceId })).filter((a) => input.accountIds.includes(a.id))
  const kinds = new Set(accounts.map((a) => a.kind))
  const networkName = (kind: string) => (isConnectorKind(kind) && services.connectors[kind]?.displayName) || kind
  for (const row of parsed.rows) {
    if (row.errors.length) continue
    for (const network of Object.keys(row.post.variants ?? {})) {
      if (!kinds.has(network)) row.errors.push(`variant_${network}: none of the chosen accounts is on ${networkName(network)}`)
    }
    for (const account of accounts) {
      // Each account is checked against what its network will publish: its variant, or the main text.
      const where = row.post.variants?.[account.kind] ? `@${account.handle} (${networkName(account.kind)} variant)` : `@${account.handle}`
      for (const problem of validatePostFor(services, { account, post: postForNetwork(row.post, account.kind) })) row.errors.push(`${where}: ${problem.message}`)
    }
  }
  return { ...parsed, problems: parsed.rows.filter((r) => r.errors.length).length }
}
