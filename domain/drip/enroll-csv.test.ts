import { parseCsvLines } from '../email/csv'
import { readEnrollCsv } from './enroll-csv'

describe('readEnrollCsv', () => {
  it('reads the email column of a file with a header, with each row’s line (a quoted newline spans two)', () => {
    const csv = 'Name,E-mail\nAnn,Ann@Example.com\n"Bo\nBerg", bo@example.com \n\n,\nCy,not-an-address\nDi,\n'
    expect(readEnrollCsv(csv, { maxRows: 10 })).toEqual({
      ok: true,
      rows: [
        { line: 2, email: 'ann@example.com' },
        { line: 3, email: 'bo@example.com' },
        { line: 7, email: 'not-an-address', problem: '“not-an-address” is not an email address' },
        { line: 8, email: '', problem: 'no email address' },
      ],
    })
  })

  it('takes the first column of a plain list (no header)', () => {
    expect(readEnrollCsv('a@example.com\r\nb@example.com,extra\r\n', { maxRows: 10 })).toEqual({
      ok: true,
      rows: [
        { line: 1, email: 'a@example.com' },
        { line: 2, email: 'b@example.com' },
      ],
    })
  })

  it('refuses a broken, empty or too long file, naming the line', () => {
    expect(readEnrollCsv('email\n"open', { maxRows: 10 })).toMatchObject({ ok: false, line: 2 })
    expect(readEnrollCsv('email\n\n', { maxRows: 10 })).toMatchObject({ ok: false, line: 1, message: expect.stringContaining('no addresses') })
    expect(readEnrollCsv('a@x.io\nb@x.io\nc@x.io\n', { maxRows: 2 })).toMatchObject({ ok: false, line: 3, message: expect.stringContaining('more than 2') })
  })

  it('parseCsvLines: the line a row starts on', () => {
    expect(parseCsvLines('a\r\n"b\nc",d\ne').map((r) => r.line)).toEqual([1, 2, 4])
  })
})
