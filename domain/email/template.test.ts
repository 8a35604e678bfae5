import { contactMergeValues, renderMergeFields, unknownMergeKeys } from './merge'
import { marketingProblems, renderEmail } from './template'

const base = { postalAddress: 'Trickle Ltd\n1 Main St, Springfield', unsubscribeUrl: 'https://app.test/u/tok?a=1&b=2' }

describe('merge fields', () => {
  it('uses the value, else the fallback, else empty, and escapes for HTML', () => {
    const values = { name: '<b>Ann</b> & "Co"', plan: '', city: null }
    expect(renderMergeFields({ template: 'Hi {{ name }}, {{plan | "free"}} {{ city|\'there\' }}{{ missing }}.', values, escape: 'html' })).toBe(
      'Hi &lt;b&gt;Ann&lt;/b&gt; &amp; &quot;Co&quot;, free there.',
    )
    expect(renderMergeFields({ template: 'Hi {{ name }}', values, escape: 'none' })).toBe('Hi <b>Ann</b> & "Co"')
    expect(renderMergeFields({ template: 'Re: {{ name }}', values: { name: 'a\r\nBcc: x@y' }, escape: 'header' })).toBe('Re: a Bcc: x@y')
  })

  it('derives first_name and lists unknown keys', () => {
    expect(contactMergeValues({ email: 'a@b.c', name: 'Ann Lee', timezone: null, fields: { plan: 'pro' } })).toMatchObject({ first_name: 'Ann', plan: 'pro' })
    expect(unknownMergeKeys({ template: '{{ first_name }} {{ plan }} {{ pland }}', knownKeys: ['plan'] })).toEqual(['pland'])
  })
})

describe('renderEmail', () => {
  it('renders Markdown, never interprets a contact value as Markdown or HTML, and adds the footer', () => {
    const email = renderEmail({
      ...base,
      template: { subject: 'Welcome {{ first_name | "friend" }}', markdown: '# Hi {{ name | "there" }}\n\n**Bold** [site](https://example.com/x?a=1&b={{ plan }})' },
      values: { name: '*<script>alert(1)</script>*', first_name: '', plan: 'p&q' },
    })
    expect(email.subject).toBe('Welcome friend')
    expect(email.html).toContain('<h1>Hi *&lt;script&gt;alert(1)&lt;/script&gt;*</h1>')
    expect(email.html).not.toContain('<script>')
    expect(email.html).toContain('<strong>Bold</strong>')
    expect(email.html).toContain('href="https://example.com/x?a=1&amp;b=p&amp;q"')
    expect(email.html).toContain('Trickle Ltd<br>1 Main St')
    expect(email.html).toContain('href="https://app.test/u/tok?a=1&amp;b=2"')
    // The text part is plain text, not Markdown: no `#` or `**`, links as "text [url]", values verbatim.
    expect(email.text).toContain('Hi *<script>alert(1)</script>*\n\nBold site [https://example.com/x?a=1&b=p&q]')
    expect(email.text).not.toMatch(/^#|\*\*/m)
    expect(email.text).toContain('Unsubscribe: https://app.test/u/tok?a=1&b=2')
  })

  it('tracks the text part’s links like the HTML part’s, and writes lists as lists', () => {
    const email = renderEmail({
      ...base,
      template: { subject: 'Hi', markdown: 'Read:\n\n- [the guide](https://docs.test/guide)\n- [the FAQ](https://docs.test/faq)' },
      values: {},
      trackClick: (url) => `https://app.test/t/c/${encodeURIComponent(url)}`,
    })
    expect(email.text).toContain(' * the guide [https://app.test/t/c/https%3A%2F%2Fdocs.test%2Fguide]')
    expect(email.text).toContain(' * the FAQ [https://app.test/t/c/https%3A%2F%2Fdocs.test%2Ffaq]')
    expect(email.text).not.toContain('](')
  })

  it("drops a step's raw <script>, event handlers and javascript: links, and keeps tracked links working", () => {
    const email = renderEmail({
      ...base,
      template: {
        subject: 'Hi',
        markdown: [
          'Hello <script>alert(1)</script><img src="https://cdn.test/a.png" onerror="alert(2)" alt="logo">',
          '',
          '[bad](javascript:alert(3)) <a href="JaVaScRiPt:alert(4)" onclick="alert(5)">raw</a> <a href="java&#x09;script:alert(6)">tab</a>',
          '',
          '[mine]({{ url }}) [site](https://example.com/p?a=1&b=2) <iframe src="https://evil.test"></iframe> <div style="background:url(javascript:alert(7))">styled</div>',
        ].join('\n'),
      },
      values: { url: 'javascript:alert(8)' },
      trackClick: (url) => `https://app.test/t/c/x?u=${encodeURIComponent(url)}`,
    })
    expect(email.html).not.toMatch(/<script|onerror|onclick|javascript:|<iframe|style="background/i)
    expect(email.html).not.toContain('alert(1)')
    expect(email.html).toContain('<img src="https://cdn.test/a.png" alt="logo" />')
    expect(email.html).toContain(`href="https://app.test/t/c/x?u=${encodeURIComponent('https://example.com/p?a=1&b=2')}"`)
    expect(email.html).toContain('styled')
  })

  it('rewrites http links for click tracking and adds the open pixel', () => {
    const seen: string[] = []
    const email = renderEmail({
      ...base,
      template: { subject: 's', markdown: '[a](https://example.com/?q=1&r=2) and [b](mailto:x@y.z)' },
      values: {},
      trackClick: (url) => {
        seen.push(url)
        return `https://app.test/t/c/${seen.length}`
      },
      openPixelUrl: 'https://app.test/t/o/px.gif',
    })
    expect(seen).toEqual(['https://example.com/?q=1&r=2'])
    expect(email.html).toContain('href="https://app.test/t/c/1"')
    expect(email.html).toContain('href="mailto:x@y.z"')
    expect(email.html).toContain('<img src="https://app.test/t/o/px.gif"')
  })

  it('refuses a marketing step without postal address', () => {
    expect(marketingProblems({ template: { subject: 's', markdown: 'b' }, postalAddress: ' ' })).toEqual([expect.objectContaining({ path: 'postalAddress' })])
    expect(marketingProblems({ template: { subject: 's', markdown: 'b' }, postalAddress: 'x' })).toEqual([])
  })
})
