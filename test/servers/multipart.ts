/**
 * The parts of a multipart/form-data body, read as leniently as the Bot API reads them: grammY writes
 * `content-disposition:form-data;name="x";filename=image` (no spaces, an unquoted file name), which
 * Node's own FormData parser refuses.
 */
export function multipartParts(raw: Buffer, boundary: string): Array<{ name: string; filename?: string; body: Buffer }> {
  const parts: Array<{ name: string; filename?: string; body: Buffer }> = []
  const delimiter = Buffer.from(`--${boundary}`)
  let start = raw.indexOf(delimiter)
  while (start >= 0) {
    const from = start + delimiter.length
    if (raw.subarray(from, from + 2).toString() === '--') break
    const next = raw.indexOf(delimiter, from)
    if (next < 0) break
    const chunk = raw.subarray(from + 2, next - 2)
    const split = chunk.indexOf('\r\n\r\n')
    const head = chunk.subarray(0, split).toString('utf8')
    const disposition = /content-disposition:\s*form-data\s*;(.*)/i.exec(head)?.[1] ?? ''
    const param = (key: string) => new RegExp(`(?:^|;)\\s*${key}=(?:"([^"]*)"|([^;\\s]*))`, 'i').exec(disposition)
    const name = param('name')
    const filename = param('filename')
    if (name) parts.push({ name: name[1] ?? name[2]!, filename: filename ? (filename[1] ?? filename[2]!) : undefined, body: chunk.subarray(split + 4) })
    start = next
  }
  return parts
}
