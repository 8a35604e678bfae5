import { EmailSchema } from '../email/contact'
import { CsvError, parseCsvLines } from '../email/csv'

/**
 * A CSV of addresses to enroll into a drip (decision 074): the `email` column when the first row is a
 * header naming one (`email`, `E-mail`, `Email address`), else the first column of every row, so a plain
 * list of addresses, one per line, works too. Each row keeps its line in the file for the report; an
 * address that is not one is kept with its problem (counted as invalid, the rest still enroll).
 */

export type EnrollCsvRow = { line: number; email: string; problem?: string }
export type EnrollCsv = { ok: true; rows: EnrollCsvRow[] } | { ok: false; line: number; message: string }

const HEADER = /^\s*e-?mail(\s*address)?\s*$/i
/** Longer cells are cut in the stored report (no address is this long). */
const MAX_CELL = 320

export function readEnrollCsv(text: string, options: { maxRows: number }): EnrollCsv {
  let parsed: Array<{ line: number; cells: string[] }>
  try {
    parsed = parseCsvLines(text)
  } catch (error) {
    if (error instanceof CsvError) return { ok: false, line: error.line, message: error.message }
    throw error
  }
  const column = parsed[0] ? parsed[0].cells.findIndex((c) => HEADER.test(c)) : -1
  const data = parsed.slice(column >= 0 ? 1 : 0).filter((r) => r.cells.some((c) => c.trim() !== ''))
  if (data.length === 0) return { ok: false, line: 1, message: 'the file has no addresses: one email address per line, or a column named "email"' }
  if (data.length > options.maxRows) {
    const line = data[options.maxRows]!.line
    return { ok: false, line, message: `line ${line}: the file has more than ${options.maxRows.toLocaleString('en')} addresses; split it` }
  }
  const rows = data.map(({ line, cells }): EnrollCsvRow => {
    const raw = (cells[Math.max(column, 0)] ?? '').trim().slice(0, MAX_CELL)
    const email = EmailSchema.safeParse(raw)
    return email.success ? { line, email: email.data } : { line, email: raw, problem: raw ? `“${raw}” is not an email address` : 'no email address' }
  })
  return { ok: true, rows }
}
