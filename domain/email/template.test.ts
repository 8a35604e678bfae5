import { contactScope, type TemplateScope } from './liquid'
import { bodyPath, marketingProblems, renderEmail, type RenderEmailArgs } from './template'

const base = { postalAddress: 'Trickle Ltd\n1 Main St, Springfield', unsubscribeUrl: 'https://app.test/u/tok?a=1&b=2' }
/** A contact scope from flat values, as the earlier `values` argument (built-ins plus custom fields). */
const scopeOf = (values: Record<string, string | null>): TemplateScope => {
  const { name = null, email = 'a@b.c', first_name, timezone, ...fields } = values
  const contact = contactScope({ email: email ?? '', name, timezone: timezone ?? null, fields })
  return { contact: first_name === undefined ? contact : { ...contact, first_name: first_name ?? '' } }
}

describe('merge fields', () => {
  it('uses the value, else the fallback, else empty, and escapes for HTML (legacy syntax and Liquid alike)', () => {
    const scope = scopeOf({ name: '<b>Ann</b> & "Co"', plan: '', city: null })
    const legacy = renderEmail({ ...base, template: { subject: 'Re: {{ name }}', markdown: 'Hi {{ name }}, {{plan | "free"}} {{ city|\'there\' }}{{ missing }}.' }, scope })
    const liquid = renderEmail({ ...base, template: { subject: 'Re: {{ contact.name }}', markdown: 'Hi {{ contact.name }}, {{ contact.fields.plan | default: "free" }} {{ contact.fields.city | default: \'there\' }}{{ contact.fields.missing }}.' }, scope })
    for (const email of [legacy, liquid]) {
      expect(email.html).toContain('<p>Hi &lt;b&gt;Ann&lt;/b&gt; &amp; "Co", free there.</p>')
      expect(email.text).toContain('Hi <b>Ann</b> & "Co", free there.')
      expect(email.subject).toBe('Re: <b>Ann</b> & "Co"')
    }
    expect(renderEmail({ ...base, template: { subject: 'Re: {{ name }}', markdown: 'x' }, scope: scopeOf({ name: 'a\r\nBcc: x@y' }) }).subject).toBe('Re: a Bcc: x@y')
  })

  it('derives first_name', () => {
    expect(contactScope({ email: 'a@b.c', name: 'Ann Lee', timezone: null, fields: { plan: 'pro' } })).toMatchObject({ first_name: 'Ann', fields: { plan: 'pro' } })
  })

  it('a conditional keeps Markdown around a value that is never Markdown itself', () => {
    const template = { subject: 's', markdown: '{% if contact.fields.plan == "pro" %}**Pro** for {{ contact.name }}{% else %}Free{% endif %}' }
    expect(renderEmail({ ...base, template, scope: scopeOf({ name: '*x* <i>', plan: 'pro' }) }).html).toContain('<p><strong>Pro</strong> for *x* &lt;i&gt;</p>')
    expect(renderEmail({ ...base, template, scope: scopeOf({ plan: 'free' }) }).html).toContain('<p>Free</p>')
  })
})

describe('renderEmail', () => {
  it('renders Markdown, never interprets a contact value as Markdown or HTML, and adds the footer', () => {
    const email = renderEmail({
      ...base,
      template: { subject: 'Welcome {{ first_name | "friend" }}', markdown: '# Hi {{ name | "there" }}\n\n**Bold** [site](https://example.com/x?a=1&b={{ plan }})' },
      scope: scopeOf({ name: '*<script>alert(1)</script>*', first_name: '', plan: 'p&q' }),
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
      scope: scopeOf({}),
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
      scope: scopeOf({ url: 'javascript:alert(8)' }),
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
      scope: scopeOf({}),
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

describe('the compiled render (decision 110)', () => {
  // Each template is sanitised once with placeholders where its values go; a message must still be
  // byte for byte what sanitising after the merge gives. Values that try to be Markdown, HTML,
  // entities, links, placeholders or control characters; templates with merge fields in text, in
  // conditions, in links, next to half an entity, in raw text and in tables.
  const templates = [
    '# Hello {{ contact.name | default: "reader" }}\n\nThis week: **three** things for {{ contact.first_name }}.\n\n- one\n- [three](https://example.com/three?utm=drip)\n',
    '{% if contact.fields.plan == "pro" %}**Pro** for {{ contact.name }}{% else %}Free, {{ contact.first_name | default: "friend" }}{% endif %}\n\n[site](https://example.com/x?a=1&b={{ contact.fields.plan }}) <{{ contact.email }}>',
    '<p>&no{{ contact.name }}</p>\n\n&amp{{ contact.name }} &#{{ contact.fields.plan }}; <a href="{{ contact.fields.plan }}">x</a> ![{{ contact.name }}](https://x.test/a.png)',
    '<textarea>{{ contact.name }}</textarea><title>{{ contact.name }}</title><font>{{ contact.name }}</font><script>{{ contact.name }}</script><!-- {{ contact.name }} -->',
    '| a | b |\n|---|---|\n| {{ contact.name }} | `{{ contact.fields.plan }}` |\n\n```\n{{ contact.name }}\n```\n\nhref="https://{{ contact.name }}" {{ contact.name }}"https://x.test/ <a href="https://y.test">y</a>',
    '{% capture x %}**{{ contact.name }}**{% endcapture %}{{ x }} [{{ contact.name }}](mailto:{{ contact.email }}) {{ contact.name | upcase }}',
  ]
  const values = ['Ann Lee', '', '<b>Ann</b> & "Co" \'x\'', '*x* _y_ [a](https://evil.test)', '&amp; &lt; &#60; &notin tin;', 'javascript:alert(1)', 'href="https://evil.test/"', '</textarea><script>alert(1)</script>', '\uE0000\uE001 %EE%80%800%EE%80%81', 'a\r\nb\u0000c\td', 'Zoë 😀 \u00a0\u200b']
  const args = (markdown: string, name: string, plan: string): RenderEmailArgs => ({
    template: { subject: 'Hi {{ contact.first_name }}', markdown },
    scope: { contact: contactScope({ email: 'ann@rcpt.test', name, timezone: null, fields: { plan } }) },
    now: new Date('2026-12-06T12:00:00Z'),
    postalAddress: 'Trickle Ltd\n1 Main St',
    unsubscribeUrl: 'https://app.test/u/tok',
    preferencesUrl: 'https://app.test/p/tok',
    trackClick: (url) => `https://app.test/t/c/${Buffer.from(url).toString('base64url')}`,
    openPixelUrl: 'https://app.test/t/o/px.gif',
  })

  it('gives the same bytes as sanitising after the merge', () => {
    const paths = { compiled: 0, sanitized: 0 }
    let compared = 0
    for (const markdown of templates) {
      for (const name of values) {
        for (const plan of ['pro', name]) {
          expect(renderEmail(args(markdown, name, plan))).toEqual(renderEmail(args(markdown, name, plan), { cache: false }))
          paths[bodyPath(args(markdown, name, plan))]++
          compared++
        }
      }
    }
    expect(compared).toBe(templates.length * values.length * 2)
    // Both paths ran: plain templates and values through the compiled form, the others sanitised after the merge.
    expect(paths.compiled).toBeGreaterThan(compared / 4)
    expect(paths.sanitized).toBeGreaterThan(compared / 2)
  })

  it('fills the compiled form for a plain step, and sanitises after the merge when a value is in a link', () => {
    const email = renderEmail(args(templates[0]!, '<i>Ann</i> & Co', 'pro'))
    expect(bodyPath(args(templates[0]!, '<i>Ann</i> & Co', 'pro'))).toBe('compiled')
    expect(email.html).toContain('<h1>Hello &lt;i&gt;Ann&lt;/i&gt; &amp; Co</h1>')
    expect(renderEmail(args(templates[1]!, 'Ann', 'javascript:alert(1)')).html).not.toContain('javascript:')
    expect(bodyPath(args(templates[1]!, 'Ann', 'javascript:alert(1)'))).toBe('sanitized')
  })
})
