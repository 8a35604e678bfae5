import { isFeedbackReport, parseArf } from './arf'

const crlf = (lines: string[]) => lines.join('\r\n')

/** RFC 5965 appendix B.2, the whole report message as an MTA would hand it over (CRLF line ends). */
const RFC_5965_SAMPLE = crlf([
  'From: <abusedesk@example.com>',
  'Date: Thu, 8 Mar 2005 17:40:36 EDT',
  'Subject: FW: Earn money',
  'To: <abuse@example.net>',
  'MIME-Version: 1.0',
  'Content-Type: multipart/report; report-type=feedback-report;',
  '     boundary="part1_13d.2e68ed54_boundary"',
  '',
  '--part1_13d.2e68ed54_boundary',
  'Content-Type: text/plain; charset="US-ASCII"',
  'Content-Transfer-Encoding: 7bit',
  '',
  'This is an email abuse report for an email message received from IP',
  '192.0.2.1 on Thu, 8 Mar 2005 14:00:00 EDT.  For more information',
  'about this format please see http://www.mipassoc.org/arf/.',
  '',
  '--part1_13d.2e68ed54_boundary',
  'Content-Type: message/feedback-report',
  '',
  'Feedback-Type: abuse',
  'User-Agent: SomeGenerator/1.0',
  'Version: 1',
  'Original-Mail-From: <somespammer@example.net>',
  'Original-Rcpt-To: <Somebody@Example.com>',
  'Arrival-Date: Thu, 8 Mar 2005 14:00:00 EDT',
  'Reporting-MTA: dns; mail.example.com',
  'Source-IP: 192.0.2.1',
  'Authentication-Results: mail.example.com;',
  '               spf=fail smtp.mail=somespammer@example.com',
  'Reported-Domain: example.net',
  'Reported-Uri: http://example.net/earn_money.html',
  '',
  '--part1_13d.2e68ed54_boundary',
  'Content-Type: message/rfc822',
  'Content-Disposition: inline',
  '',
  'From: <somespammer@example.net>',
  'Received: from mailserver.example.net (mailserver.example.net',
  '        [192.0.2.1]) by example.com with ESMTP id M63d4137594e46;',
  '        Thu, 08 Mar 2005 14:00:00 -0400',
  'To: <Undisclosed Recipients>',
  'Subject: Earn money',
  'MIME-Version: 1.0',
  'Content-type: text/plain',
  'Message-ID: 8787KJKJ3K4J3K4J3K4J3.mail@example.net',
  'Date: Thu, 02 Sep 2004 12:31:03 -0500',
  '',
  'Spam Spam Spam',
  '',
  '--part1_13d.2e68ed54_boundary--',
])

/**
 * The shape Yahoo's Complaint Feedback Loop sends (User-Agent Yahoo!-Mail-Feedback/2.0): no
 * Original-Rcpt-To, the recipient redacted in the original message, which is otherwise whole (our
 * List-Unsubscribe and Message-ID survive). Posted as the MIME body only, with the type in the request.
 */
const YAHOO_STYLE_BODY = [
  '------=_Part_1234_5678.1700000000000',
  'Content-Type: text/plain; charset=UTF-8',
  'Content-Transfer-Encoding: 7bit',
  '',
  'This is an email abuse report for an email message from news@brand.test on Mon, 02 Nov 2026 09:00:00 +0000',
  '',
  '----=_Part_1234_5678.1700000000000',
  'Content-Type: message/feedback-report',
  'Content-Transfer-Encoding: 7bit',
  '',
  'Feedback-Type: abuse',
  'User-Agent: Yahoo!-Mail-Feedback/2.0',
  'Version: 1',
  'Original-Mail-From: <bounces@brand.test>',
  'Arrival-Date: Mon, 02 Nov 2026 09:00:03 +0000',
  'Reported-Domain: brand.test',
  'Authentication-Results: mta1.mail.gq1.yahoo.com; dkim=pass header.d=brand.test; spf=pass smtp.mailfrom=brand.test; dmarc=pass(p=NONE) header.from=brand.test',
  '',
  '----=_Part_1234_5678.1700000000000',
  'Content-Type: message/rfc822',
  'Content-Transfer-Encoding: 7bit',
  '',
  'Received: from 192.0.2.25 (EHLO mail.brand.test) by mta1.mail.gq1.yahoo.com with SMTP; Mon, 02 Nov 2026 09:00:03 +0000',
  'From: Brand News <news@brand.test>',
  'To: redacted@yahoo.com',
  'Subject: Welcome',
  'Message-ID: <3f2a9c@brand.test>',
  'List-Unsubscribe: <mailto:news@brand.test?subject=unsubscribe%20abc>,',
  ' <https://trickle.example/u/v1.token-123>',
  'List-Unsubscribe-Post: List-Unsubscribe=One-Click',
  'Content-Type: text/plain; charset=utf-8',
  '',
  'Hello',
  '----=_Part_1234_5678.1700000000000--',
  '',
].join('\n')
const YAHOO_TYPE = 'multipart/report; report-type=feedback-report; boundary="--=_Part_1234_5678.1700000000000"'

describe('ARF spam complaints (RFC 5965)', () => {
  it('reads the RFC 5965 sample: abuse, the recipient from Original-Rcpt-To, the original Message-ID', () => {
    expect(isFeedbackReport({ contentType: 'message/rfc822', text: RFC_5965_SAMPLE })).toBe(true)
    expect(parseArf({ contentType: 'message/rfc822', text: RFC_5965_SAMPLE })).toEqual({
      ok: true,
      report: {
        feedbackType: 'abuse',
        recipients: ['somebody@example.com'],
        messageId: null,
        unsubscribeUrls: [],
        userAgent: 'SomeGenerator/1.0',
        arrivalDate: 'Thu, 8 Mar 2005 14:00:00 EDT',
      },
    })
  })

  it('reads a Yahoo-style report with a redacted recipient: the signed List-Unsubscribe URL and the Message-ID identify the message', () => {
    expect(isFeedbackReport({ contentType: YAHOO_TYPE, text: YAHOO_STYLE_BODY })).toBe(true)
    const result = parseArf({ contentType: YAHOO_TYPE, text: YAHOO_STYLE_BODY })
    expect(result).toEqual({
      ok: true,
      report: expect.objectContaining({ feedbackType: 'abuse', recipients: [], messageId: '3f2a9c@brand.test', unsubscribeUrls: ['https://trickle.example/u/v1.token-123'], userAgent: 'Yahoo!-Mail-Feedback/2.0' }),
    })
  })

  it('reads the original message headers from a base64 text/rfc822-headers part', () => {
    const headers = Buffer.from('From: news@brand.test\r\nTo: Ann <ann@example.org>\r\nMessage-ID: <m1@brand.test>\r\n').toString('base64')
    const body = ['--b', 'Content-Type: message/feedback-report', '', 'Feedback-Type: abuse', '', '--b', 'Content-Type: text/rfc822-headers', 'Content-Transfer-Encoding: base64', '', headers, '--b--'].join('\n')
    const result = parseArf({ contentType: 'multipart/report; report-type=feedback-report; boundary=b', text: body })
    expect(result).toMatchObject({ ok: true, report: { recipients: ['ann@example.org'], messageId: 'm1@brand.test' } })
  })

  it('names what is missing in a malformed report', () => {
    const type = 'multipart/report; report-type=feedback-report; boundary=b'
    expect(parseArf({ contentType: 'multipart/report', text: 'Feedback-Type: abuse' })).toMatchObject({ ok: false, field: 'Content-Type' })
    expect(parseArf({ contentType: type, text: '--b\nContent-Type: text/plain\n\nhello\n--b--' })).toMatchObject({ ok: false, field: 'message/feedback-report' })
    expect(parseArf({ contentType: type, text: '--b\nContent-Type: message/feedback-report\n\nVersion: 1\n--b--' })).toMatchObject({ ok: false, field: 'Feedback-Type' })
    expect(parseArf({ contentType: type, text: '--b\nContent-Type: message/feedback-report\n\nFeedback-Type: abuse\nOriginal-Rcpt-To: <xxxxx@example.com>\n--b--' })).toMatchObject({
      ok: false,
      field: 'Original-Rcpt-To',
    })
  })

  it('tells a delivery status notification from a feedback report', () => {
    expect(isFeedbackReport({ contentType: 'multipart/report; report-type=delivery-status; boundary="b"', text: '--b\nContent-Type: message/delivery-status\n\nFinal-Recipient: rfc822; a@b.c' })).toBe(false)
  })
})
