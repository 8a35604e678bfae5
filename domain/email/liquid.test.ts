import { contactScope, legacyToLiquid, renderTemplate, TemplateError, templateProblems, type TemplateScope } from './liquid'

const ann: TemplateScope = { contact: contactScope({ email: 'ann@example.com', name: ' Ann Lee ', timezone: null, fields: { plan: 'pro', company: '  ', seats: 0 } }) }
const render = (source: string, scope: TemplateScope = ann, output = (v: string) => v) => renderTemplate(source, { scope, output })

describe('legacy merge syntax → Liquid', () => {
  it('maps built-ins to contact.*, custom fields to contact.fields.*, and a quoted fallback to default', () => {
    expect(legacyToLiquid('Hi {{ first_name | "there" }}, your {{plan}} plan ({{ email }}) {{ city|\'here\' }}')).toBe(
      'Hi {{ contact.first_name | default: "there" }}, your {{ contact.fields.plan }} plan ({{ contact.email }}) {{ contact.fields.city | default: \'here\' }}',
    )
    // Liquid text, names the template binds itself and the caller's globals stay as they are.
    const liquid = '{{ contact.name | default: "x" }} {% assign who = "you" %}{{ who }} {% for t in contact.fields.tags %}{{ t }}{% endfor %} {{ confirm_url }} {{- name -}}'
    expect(legacyToLiquid(liquid, { globals: ['confirm_url'] })).toBe(liquid.replace('{{- name -}}', '{{- contact.name -}}'))
  })

  it('renders a stored legacy template as before: value, else fallback, else empty', () => {
    expect(render('Hi {{ name }}, {{plan | "free"}} {{ company|\'Acme\' }} {{ seats }}{{ missing }}.')).toBe('Hi Ann Lee, pro Acme 0.')
    expect(render('{{ first_name | "friend" }}', { contact: contactScope({ email: 'a@b.c', name: null, timezone: null, fields: {} }) })).toBe('friend')
  })
})

describe('renderTemplate', () => {
  it('default, fields and conditionals; every output goes through the caller’s function', () => {
    const seen: string[] = []
    const out = render('{{ contact.first_name | default: "friend" }} at {{ contact.fields.company | default: "your company" }}{% if contact.fields.plan == "pro" %}: thanks for going Pro{% endif %}', ann, (v) => {
      seen.push(v)
      return `[${v}]`
    })
    expect(out).toBe('[Ann] at [your company]: thanks for going Pro')
    expect(seen).toEqual(['Ann', 'your company'])
    // `raw` does not bypass the output function (which is where values are escaped).
    expect(render('{{ contact.name | raw }} {% echo contact.email %}', ann, (v) => `<${v}>`)).toBe('<Ann Lee> <ann@example.com>')
  })

  it('date: "now" is the time the caller passes; no time, no clock read', () => {
    const now = new Date('2026-11-02T09:30:00Z')
    expect(renderTemplate('{{ "now" | date: "%Y-%m-%d %H:%M" }}', { scope: ann, output: (v) => v, now })).toBe('2026-11-02 09:30')
    expect(() => render('{{ "now" | date: "%Y" }}')).toThrow(/"now" is not available/)
  })

  it('is a sandbox: include, render and layout are refused; only own properties are read', () => {
    for (const tag of ["{% include 'x' %}", "{% render 'footer' %}", "{% layout 'base' %}"]) {
      expect(() => render(`Hello\n${tag}`)).toThrow(TemplateError)
      expect(templateProblems(`Hello\n${tag}`, { fieldKeys: [] })).toEqual([{ message: expect.stringMatching(/^line 2: .*is not available in email templates/), line: 2 }])
    }
    expect(render('[{{ contact.constructor }}{{ contact.fields.__proto__ }}{{ contact.email.constructor.name }}]')).toBe('[]')
  })

  it('bounds a template that would loop or allocate for ever', () => {
    const started = performance.now()
    expect(() => render('{% for i in (1..100000000) %}{% for j in (1..100000000) %}x{% endfor %}{% endfor %}')).toThrow(/limit exceeded/)
    expect(() => render('{% assign s = "xxxxxxxxxx" %}{% for i in (1..60) %}{% assign s = s | append: s %}{% endfor %}{{ s | size }}')).toThrow(/limit exceeded/)
    expect(() => render('{% for i in (1..1000000) %}{% for j in (1..3) %}{% endfor %}{% endfor %}')).toThrow(/limit exceeded/)
    expect(performance.now() - started).toBeLessThan(3000)
  })
})

describe('templateProblems', () => {
  const fieldKeys = ['plan', 'company']
  it('accepts built-ins, defined fields, locals, loops and the caller’s globals', () => {
    const ok = '{{ contact.first_name | default: "friend" }} {{ contact.fields.plan }} {% assign x = contact.name | upcase %}{{ x }} {% for c in contact.fields.company %}{{ forloop.index }}{{ c }}{% endfor %} {{ confirm_url }} {{ first_name | "legacy" }}'
    expect(templateProblems(ok, { fieldKeys, globals: ['confirm_url'] })).toEqual([])
  })

  it('names an unknown variable, field or filter with its line', () => {
    expect(templateProblems('Hi\n{{ contact.frist_name }}', { fieldKeys })).toEqual([{ name: 'contact.frist_name', line: 2, message: 'line 2: unknown merge field “contact.frist_name”' }])
    expect(templateProblems('{% if contact.fields.plann == "pro" %}x{% endif %}', { fieldKeys })).toEqual([expect.objectContaining({ name: 'plann', message: 'line 1: no contact field “plann”' })])
    expect(templateProblems('{{ contact.plan }}', { fieldKeys })[0]!.message).toContain('contact.fields.plan')
    expect(templateProblems('{{ frist_name }}', { fieldKeys })[0]!.message).toContain('no contact field “frist_name”')
    expect(templateProblems('{{ user.name }}', { fieldKeys })[0]).toMatchObject({ name: 'user' })
    expect(templateProblems('a\n\n{{ contact.name | shout }}', { fieldKeys })).toEqual([{ line: 3, message: 'line 3: unknown filter “shout”' }])
  })

  it('names the line of a syntax error', () => {
    expect(templateProblems('one\ntwo {% if contact.name %}open', { fieldKeys })).toEqual([{ line: 2, message: expect.stringMatching(/^line 2: tag .*if.* not closed/) }])
    expect(templateProblems('{{ contact.name | default "x" }}', { fieldKeys })[0]!.message).toMatch(/^line 1: /)
  })
})
