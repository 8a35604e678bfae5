import { Liquid, type FilterImplOptions, type Template } from 'liquidjs'
import { boundedCache } from '../bounded-cache'

/**
 * Email templates in Liquid (liquidjs, decision 075): `{{ contact.first_name | default: "friend" }}`,
 * `{{ contact.fields.company }}`, `{% if contact.fields.plan == "pro" %}…{% endif %}`. The engine is a
 * sandbox: no file system (`include`, `render` and `layout` are refused when parsing, and the template
 * map is empty), own properties only, only the built-in filters, and bounded parse length, render time
 * and memory. Stored steps in the earlier syntax (`{{ first_name | "there" }}`) are translated by
 * `legacyToLiquid` before parsing; a template is never rewritten in storage.
 *
 * Every value a template outputs goes through the caller's `output` function (the HTML renderer swaps it
 * for a placeholder, so a contact's value is never parsed as Markdown or HTML). `date: "now"` reads the
 * `now` the caller passes: this module reads no clock (liquidjs measures its own render time limit).
 */

/** The fields every contact has, as `contact.<name>`; custom fields are `contact.fields.<key>`. */
export const CONTACT_BUILT_INS = ['email', 'name', 'first_name', 'timezone'] as const

export type ContactScope = { email: string; name: string; first_name: string; timezone: string; fields: Record<string, string | number | null> }

/** What a template may name: `contact`, plus top-level values its caller provides (e.g. `confirm_url`). */
export type TemplateScope = { contact: ContactScope; globals?: Record<string, string> }

/** Bad template text: a syntax error, a refused tag or filter, or a limit exceeded while rendering. */
export class TemplateError extends Error {
  override name = 'TemplateError'
  constructor(
    message: string,
    readonly line?: number,
  ) {
    super(message)
  }
}

/** Longest template text (subject and body are far below: 300 and 100,000 characters). */
export const TEMPLATE_PARSE_LIMIT = 200_000
/** Milliseconds one render may take (a loop over a huge range stops here). */
export const TEMPLATE_RENDER_LIMIT_MS = 500
/** Characters and array items one render may allocate (`append` in a loop, big ranges). */
export const TEMPLATE_MEMORY_LIMIT = 5_000_000

/** What a filter sees as `this` (liquidjs does not export the type). */
type FilterImpl = ThisParameterType<Extract<FilterImplOptions, (...args: never[]) => unknown>>

type RenderRun = { output: (value: string) => string; now: Date | undefined }
const RUN = Symbol('trickle.render')

const engine = new Liquid({
  templates: {},
  relativeReference: false,
  dynamicPartials: false,
  ownPropertyOnly: true,
  strictFilters: true,
  strictVariables: false,
  timezoneOffset: 0,
  parseLimit: TEMPLATE_PARSE_LIMIT,
  renderLimit: TEMPLATE_RENDER_LIMIT_MS,
  memoryLimit: TEMPLATE_MEMORY_LIMIT,
  outputEscape(this: FilterImpl, value: unknown) {
    const run = runOf(this)
    return run.output(stringify(value))
  },
})
for (const tag of ['include', 'render', 'layout']) {
  engine.registerTag(tag, {
    parse() {
      throw new Error(`{% ${tag} %} is not available in email templates`)
    },
    render() {},
  })
}
// `raw` would skip the output function (and with it the escaping): here it changes nothing.
engine.registerFilter('raw', (value: unknown) => value)
const builtInDate = engine.filters['date']!
engine.registerFilter('date', function (this: FilterImpl, value: unknown, ...args: unknown[]) {
  let input = value
  if (value === 'now' || value === 'today') {
    const now = runOf(this).now
    if (!now) throw new Error('date: "now" is not available here')
    input = now.getTime() / 1000
  }
  const handler = typeof builtInDate === 'function' ? builtInDate : builtInDate.handler
  return handler.call(this, input, ...args)
})

function runOf(filter: FilterImpl): RenderRun {
  return (filter.context.globals as Record<symbol, RenderRun>)[RUN] ?? { output: (v) => v, now: undefined }
}

function stringify(value: unknown): string {
  if (value === null || value === undefined) return ''
  if (Array.isArray(value)) return value.map(stringify).join('')
  return String(value)
}

/** A legacy tag: `{{ key }}` or `{{ key | "fallback" }}` (single quotes too). */
const LEGACY_TAG = /\{\{(-?)\s*([A-Za-z_][A-Za-z0-9_.]*)\s*(?:\|\s*(?:"([^"]*)"|'([^']*)'))?\s*(-?)\}\}/g
const LIQUID_TAG = /\{%-?([\s\S]*?)-?%\}/g
const BINDS = /\b(?:assign|capture|increment|decrement)\s+([A-Za-z_][\w-]*)|\b(?:for|tablerow)\s+([A-Za-z_][\w-]*)\s+in\b/g
const LITERALS = new Set(['contact', 'forloop', 'tablerowloop', 'empty', 'blank', 'nil', 'null', 'true', 'false'])

/**
 * The earlier merge syntax as Liquid, so stored steps keep working (pure; decision 075):
 * `{{ first_name }}` → `{{ contact.first_name }}`, `{{ plan }}` (a custom field) → `{{ contact.fields.plan }}`,
 * `{{ key | "fallback" }}` → `{{ … | default: "fallback" }}`. A bare name the template binds itself
 * (`assign`, `capture`, `for`…) or a caller's global stays as it is; Liquid text passes unchanged.
 */
export function legacyToLiquid(source: string, options: { globals?: Iterable<string> } = {}): string {
  const local = new Set([...LITERALS, ...(options.globals ?? [])])
  for (const tag of source.matchAll(LIQUID_TAG)) for (const bind of tag[1]!.matchAll(BINDS)) local.add(bind[1] ?? bind[2]!)
  return source.replace(LEGACY_TAG, (all, open: string, key: string, dq: string | undefined, sq: string | undefined, close: string) => {
    const fallback = dq ?? sq
    const bare = !key.includes('.')
    if (!(bare && !local.has(key)) && fallback === undefined) return all
    const path = bare && !local.has(key) ? ((CONTACT_BUILT_INS as readonly string[]).includes(key) ? `contact.${key}` : `contact.fields.${key}`) : key
    const quote = dq !== undefined ? '"' : "'"
    return `{{${open} ${path}${fallback === undefined ? '' : ` | default: ${quote}${fallback}${quote}`} ${close}}}`
  })
}

const parsed = boundedCache<Template[]>(500)

/** Parse (legacy syntax translated), memoised per text: the drip runner renders one step for many contacts. */
function parse(source: string, globals: readonly string[]): Template[] {
  return parsed(`${globals.join(',')}\u0000${source}`, () => {
    try {
      return engine.parse(legacyToLiquid(source, { globals }))
    } catch (error) {
      throw templateError(error)
    }
  })
}

function templateError(error: unknown): TemplateError {
  if (error instanceof TemplateError) return error
  const raw = error instanceof Error ? error.message : String(error)
  const at = /,? line:(\d+), col:\d+\s*$/.exec(raw)
  const message = (at ? raw.slice(0, at.index) : raw).replace(/^undefined filter: (.+)$/, 'unknown filter “$1”')
  return new TemplateError(at ? `line ${at[1]}: ${message}` : message, at ? Number(at[1]) : undefined)
}

/**
 * Render template text. `output` receives each value the template outputs, as text, and returns what
 * goes into the result (escaped, or a placeholder). Throws TemplateError for bad text or a limit.
 */
export function renderTemplate(source: string, args: { scope: TemplateScope; output: (value: string) => string; now?: Date }): string {
  const globals = args.scope.globals ?? {}
  const templates = parse(source, Object.keys(globals))
  const run: RenderRun = { output: args.output, now: args.now }
  try {
    return String(engine.renderSync(templates, { ...globals, contact: args.scope.contact }, { globals: { [RUN]: run } as object }))
  } catch (error) {
    throw templateError(error)
  }
}

/** A problem of a template with what it names, for the editor and the API (`line` from 1). */
export type TemplateProblem = { message: string; line?: number; name?: string }

/**
 * Why a template cannot be saved or activated: a syntax error (with its line), a refused tag or
 * filter, or a variable no contact can have (`contact.frist_name`, `contact.fields.<undefined key>`).
 * `fieldKeys` are the workspace's custom fields; `globals` the top-level names the caller provides.
 */
export function templateProblems(source: string, args: { fieldKeys: readonly string[]; globals?: readonly string[] }): TemplateProblem[] {
  const globals = args.globals ?? []
  let templates: Template[]
  try {
    templates = parse(source, globals)
  } catch (error) {
    const e = templateError(error)
    return [{ message: e.message, line: e.line }]
  }
  const fields = new Set(args.fieldKeys)
  const problems: TemplateProblem[] = []
  const seen = new Set<string>()
  const analysis = engine.analyzeSync(templates, { partials: false })
  for (const variables of Object.values(analysis.globals)) {
    for (const variable of variables) {
      const segments = variable.segments
      const [root, member, key] = segments
      let problem: Omit<TemplateProblem, 'line'> | null = null
      if (root === 'contact') {
        if (typeof member === 'string' && member !== 'fields' && !(CONTACT_BUILT_INS as readonly string[]).includes(member)) {
          const hint = fields.has(member) ? ` (a custom field: contact.fields.${member})` : ''
          problem = { name: `contact.${member}`, message: `unknown merge field “contact.${member}”${hint}` }
        } else if (member === 'fields' && typeof key === 'string' && !fields.has(key)) {
          problem = { name: key, message: `no contact field “${key}”` }
        }
      } else if (typeof root !== 'string' || !globals.includes(root)) {
        problem = { name: String(root), message: `unknown merge field “${String(root)}”` }
      }
      if (problem && !seen.has(problem.name!)) {
        seen.add(problem.name!)
        problems.push({ ...problem, message: `line ${variable.location.row}: ${problem.message}`, line: variable.location.row })
      }
    }
  }
  return problems
}

/** The merge fields a template may use in a workspace, for messages and the editor's help. */
export function mergeFieldNames(fieldKeys: readonly string[]): string[] {
  return [...CONTACT_BUILT_INS.map((k) => `contact.${k}`), ...fieldKeys.map((k) => `contact.fields.${k}`)]
}

/** "line 3: no contact field “plann” (merge fields: …); define it …": a problem as the author reads it. */
export function describeTemplateProblem(problem: TemplateProblem, fieldKeys: readonly string[]): string {
  if (!problem.name) return problem.message
  return `${problem.message} (merge fields: ${mergeFieldNames(fieldKeys).join(', ')}); define it under Contacts → Fields or fix the spelling`
}

/** A contact as templates see it: values trimmed (an empty value takes `default:`), `first_name` derived from the name. */
export function contactScope(contact: { email: string; name: string | null; timezone: string | null; fields: Record<string, string | number | null> }): ContactScope {
  const name = contact.name?.trim() ?? ''
  const fields: Record<string, string | number | null> = {}
  for (const [key, value] of Object.entries(contact.fields)) fields[key] = typeof value === 'string' ? value.trim() : value
  return { email: contact.email, name, first_name: name.split(/\s+/)[0] ?? '', timezone: contact.timezone ?? '', fields }
}
