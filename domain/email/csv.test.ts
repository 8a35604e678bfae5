import fc from 'fast-check'
import { isCalendarDate, validateContactCsv } from './contact'
import { CsvError, parseCsv, toCsv } from './csv'
import { isHardBounceReply, parseDsn } from './dsn'

describe('CSV', () => {
  it('parses quotes, doubled quotes, embedded newlines and CRLF', () => {
    expect(parseCsv('a,b\r\n"x, y","he said ""hi""\nthere"\n')).toEqual([
      ['a', 'b'],
      ['x, y', 'he said "hi"\nthere'],
    ])
    expect(() => parseCsv('a\n"open')).toThrow(CsvError)
  })

  it('round-trips any table through toCsv', () => {
    fc.assert(
      fc.property(fc.array(fc.array(fc.string().filter((s) => !/^[=+\-@\t\r]/.test(s)), { minLength: 2, maxLength: 4 }), { minLength: 1, maxLength: 5 }), (rows) => {
        fc.pre(rows.every((r) => r.length === rows[0]!.length))
        expect(parseCsv(toCsv(rows))).toEqual(rows.filter((r) => !(r.length === 1 && r[0] === '')))
      }),
    )
  })

  it('neutralises spreadsheet formulas on export', () => {
    expect(toCsv([['=HYPERLINK("x")']])).toBe(`"'=HYPERLINK(""x"")"\r\n`)
  })

  it('validates every row and names the row and field', () => {
    const definitions = [{ key: 'seats', type: 'number' as const }, { key: 'renewal', type: 'date' as const }]
    const good = validateContactCsv({ rows: parseCsv('email,name,seats,renewal,tags\nA@x.io,Ann,3,2026-02-28,a;b\nb@x.io,,,,\n'), definitions })
    expect(good.errors).toEqual([])
    expect(good.contacts[0]).toEqual({ email: 'a@x.io', name: 'Ann', timezone: null, tags: ['a', 'b'], fields: { seats: 3, renewal: '2026-02-28' } })
    const bad = validateContactCsv({ rows: parseCsv('email,seats,renewal\na@x.io,1,2026-02-30\nnot-an-email,2,\nc@x.io,many,\na@x.io,,\n'), definitions })
    expect(bad.errors).toEqual([
      { row: 1, field: 'renewal', message: 'must be a date, YYYY-MM-DD' },
      { row: 2, field: 'email', message: expect.stringContaining('email') },
      { row: 3, field: 'seats', message: 'must be a number' },
      { row: 4, field: 'email', message: 'duplicates row 1' },
    ])
    expect(validateContactCsv({ rows: parseCsv('mail,x\n'), definitions }).errors.map((e) => e.field)).toEqual(['mail', 'x', 'email'])
    expect(isCalendarDate('2024-02-29')).toBe(true)
  })
})

describe('DSN', () => {
  it('finds hard-bounced recipients in a delivery-status report', () => {
    const report = [
      'Reporting-MTA: dns; mx.example.net',
      '',
      'Final-Recipient: rfc822; Gone@Example.com',
      'Action: failed',
      'Status: 5.1.1',
      'Diagnostic-Code: smtp; 550 5.1.1 User unknown',
      '',
      'Final-Recipient: rfc822; full@example.com',
      'Action: delayed',
      'Status: 4.2.2',
    ].join('\r\n')
    expect(parseDsn(report)).toEqual([
      { recipient: 'gone@example.com', action: 'failed', status: '5.1.1', diagnostic: 'smtp; 550 5.1.1 User unknown', hard: true },
      { recipient: 'full@example.com', action: 'delayed', status: '4.2.2', diagnostic: null, hard: false },
    ])
  })

  it('classifies SMTP replies', () => {
    expect(isHardBounceReply({ responseCode: 550, response: '550 5.1.1 No such user' })).toBe(true)
    expect(isHardBounceReply({ responseCode: 552, response: '552 4.2.2 Mailbox full' })).toBe(false)
    expect(isHardBounceReply({ responseCode: 451, response: '451 4.3.0 try later' })).toBe(false)
    expect(isHardBounceReply({})).toBe(false)
  })
})
