/**
 * RFC 4180 CSV: quoted fields with doubled quotes, CRLF or LF line ends, embedded newlines in quotes.
 * Returns rows of strings; a malformed quote is reported with its line number.
 */
export class CsvError extends Error {
  override name = 'CsvError'
  constructor(
    message: string,
    readonly line: number,
  ) {
    super(message)
  }
}

export function parseCsv(input: string): string[][] {
  return parseCsvLines(input).map((r) => r.cells)
}

/** `parseCsv` with the line each row starts on (1-based; a quoted newline makes a row span lines). Blank lines are left out. */
export function parseCsvLines(input: string): Array<{ line: number; cells: string[] }> {
  const text = input.startsWith('\uFEFF') ? input.slice(1) : input
  const rows: Array<{ line: number; cells: string[] }> = []
  let row: string[] = []
  let field = ''
  let quoted = false
  let line = 1
  let rowLine = 1
  let i = 0
  let fieldStarted = false
  while (i < text.length) {
    const ch = text[i]!
    if (quoted) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          field += '"'
          i += 2
          continue
        }
        quoted = false
        i++
        if (i < text.length && text[i] !== ',' && text[i] !== '\n' && text[i] !== '\r') throw new CsvError(`line ${line}: unexpected text after a closing quote`, line)
        continue
      }
      if (ch === '\n') line++
      field += ch
      i++
      continue
    }
    if (ch === '"' && !fieldStarted) {
      quoted = true
      fieldStarted = true
      i++
      continue
    }
    if (ch === ',') {
      row.push(field)
      field = ''
      fieldStarted = false
      i++
      continue
    }
    if (ch === '\r' || ch === '\n') {
      row.push(field)
      rows.push({ line: rowLine, cells: row })
      row = []
      field = ''
      fieldStarted = false
      i += ch === '\r' && text[i + 1] === '\n' ? 2 : 1
      line++
      rowLine = line
      continue
    }
    field += ch
    fieldStarted = true
    i++
  }
  if (quoted) throw new CsvError(`line ${line}: a quoted field is not closed`, line)
  if (fieldStarted || row.length > 0) {
    row.push(field)
    rows.push({ line: rowLine, cells: row })
  }
  return rows.filter((r) => !(r.cells.length === 1 && r.cells[0] === ''))
}

function quote(value: string): string {
  // A leading = + - @ would run as a formula in a spreadsheet; prefix it (OWASP CSV injection advice).
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe
}

export function toCsv(rows: ReadonlyArray<ReadonlyArray<string>>): string {
  return rows.map((r) => r.map(quote).join(',')).join('\r\n') + '\r\n'
}
