import { compile } from 'html-to-text'
import { Marked } from 'marked'
import sanitizeHtml from 'sanitize-html'
import { renderTemplate, type TemplateScope } from './liquid'
import { boundedCache } from '../bounded-cache'

/**
 * Markdown → email. The Liquid template (domain/email/liquid.ts) runs first with every value it outputs
 * swapped for a private-use placeholder, so a contact's value is never parsed as Markdown or HTML; then
 * Markdown runs and each placeholder becomes the HTML-escaped value; the text part is that HTML as plain
 * text (html-to-text). Every message gets the footer the law asks of
 * marketing email: the sender's postal address and an unsubscribe link. The HTML is sanitised after the
 * merge (sanitize-html, decision 063): Markdown allows raw HTML, and neither a step's author nor a
 * contact's value may put a script, an event handler or a `javascript:` link into an email. A step's
 * placeholder HTML is sanitised once and its values written in afterwards where that gives the same bytes
 * (`bodyVariant`, decision 110).
 */

export type EmailTemplate = { subject: string; markdown: string }

export type RenderEmailArgs = {
  template: EmailTemplate
  /** The contact (and any values the caller adds, e.g. `confirm_url`) the template names. */
  scope: TemplateScope
  /** What `date: "now"` means (the send time). */
  now?: Date
  postalAddress: string
  unsubscribeUrl: string
  preferencesUrl?: string
  /** Rewrites each http(s) link of the HTML part (click tracking); absent: links stay as written. */
  trackClick?: (url: string) => string
  /** Appended as a 1×1 image (open tracking). */
  openPixelUrl?: string
}

export type RenderedEmail = { subject: string; html: string; text: string }

const marked = new Marked({ gfm: true, breaks: false, async: false })

/** What Markdown produces, and nothing that runs: links and images over http(s) (links also mailto/tel). */
const SANITIZE: sanitizeHtml.IOptions = {
  allowedTags: [...sanitizeHtml.defaults.allowedTags, 'img'],
  allowedAttributes: {
    a: ['href', 'title'],
    img: ['src', 'alt', 'title', 'width', 'height'],
    ol: ['start'],
    th: ['align'],
    td: ['align'],
    code: ['class'],
  },
  allowedSchemes: ['http', 'https', 'mailto', 'tel'],
  allowedSchemesByTag: { img: ['http', 'https'] },
  allowProtocolRelative: false,
}

/** The HTML of a step's Markdown without scripts, handlers, styles or dangerous URLs. */
export function sanitizeEmailHtml(html: string): string {
  return sanitizeHtml(html, SANITIZE)
}

const OPEN = '\uE000'
const CLOSE = '\uE001'

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!)
}

const PLACEHOLDER = new RegExp(`(?:${OPEN}|%EE%80%80)(\\d+)(?:${CLOSE}|%EE%80%81)`, 'g')

/**
 * One form of a step's body (a template with conditions has a few): what Markdown made of the
 * placeholder text, and that HTML sanitised once, when each value may go in after sanitising (`null`:
 * sanitise after the merge, per message). Values never change the HTML's structure: they are escaped
 * and only ever fill text. So sanitising the placeholder HTML and then writing each value as the
 * sanitiser writes text gives the same bytes as sanitising the merged HTML, provided every placeholder
 * sits in the text of a tag the sanitiser keeps as ordinary text (not in an attribute, where the
 * sanitiser judges the whole value, e.g. a link's scheme; not in raw text such as `<textarea>`), and
 * no entity reference is left open before a placeholder (`&no` + `tin;`). The bytes-for-bytes test is
 * domain/email/template.test.ts ("the compiled render").
 */
type BodyVariant = { html: string; sanitized: string | null }

const variants = boundedCache<BodyVariant>(500)
const PLACEHOLDER_PART = /[\uE000\uE001]|%EE%80%8[01]/i
const SANITIZED_TEXT_TAGS = new Set(SANITIZE.allowedTags as string[])

function bodyVariant(placeholderMarkdown: string): BodyVariant {
  return variants(placeholderMarkdown, () => {
    const html = marked.parse(placeholderMarkdown) as string
    let safe = !/&[#A-Za-z0-9]*(?:\uE000|%EE%80%80)/i.test(html)
    const sanitized = sanitizeHtml(html, {
      ...SANITIZE,
      // Only looking: both return what they are given, so the output is sanitizeEmailHtml's.
      transformTags: {
        '*': (tagName, attribs) => {
          if (PLACEHOLDER_PART.test(tagName) || Object.entries(attribs).some(([k, v]) => PLACEHOLDER_PART.test(k) || PLACEHOLDER_PART.test(v))) safe = false
          return { tagName, attribs }
        },
      },
      textFilter: (text, tagName) => {
        if (tagName && !SANITIZED_TEXT_TAGS.has(tagName) && PLACEHOLDER_PART.test(text)) safe = false
        return text
      },
    })
    return { html, sanitized: safe && sanitized === sanitizeEmailHtml(html) ? sanitized : null }
  })
}

/** A value the sanitiser's parser reads back exactly as escapeHtml wrote it (no control characters, no placeholder characters). */
function isPlainValue(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i)
    if ((c < 0x20 && c !== 0x09 && c !== 0x0a) || c === 0x7f || c === 0xe000 || c === 0xe001) return false
  }
  return true
}

/** A text value as sanitize-html writes text (decodeEntities): `&`, `<` and `>` escaped, quotes as they are. */
function escapeText(value: string): string {
  return value.replace(/[&<>]/g, (c) => (c === '&' ? '&amp;' : c === '<' ? '&lt;' : '&gt;'))
}

/** A body's Liquid output with a placeholder per value, and the step's cached form of it (decision 110). */
type BodyPlan = { placeholderMarkdown: string; merged: string[]; variant: BodyVariant | null; compiled: boolean }

function planBody(args: Pick<RenderEmailArgs, 'template' | 'scope' | 'now'>, cache: boolean): BodyPlan {
  const merged: string[] = []
  const placeholderMarkdown = renderTemplate(args.template.markdown, {
    scope: args.scope,
    now: args.now,
    output: (value) => {
      // A value holding placeholders (a `capture` output again) is stored with their values in place.
      merged.push(value.replace(PLACEHOLDER, (_all, i: string) => merged[Number(i)] ?? ''))
      return `${OPEN}${merged.length - 1}${CLOSE}`
    },
  })
  const variant = cache ? bodyVariant(placeholderMarkdown) : null
  return { placeholderMarkdown, merged, variant, compiled: variant?.sanitized != null && merged.every(isPlainValue) }
}

/**
 * Which way `renderEmail` makes this message's body: `compiled` (the step's form sanitised once, values
 * written in) or `sanitized` (sanitised after the merge). Pure: tests use it to prove both paths ran.
 */
export function bodyPath(args: Pick<RenderEmailArgs, 'template' | 'scope' | 'now'>): 'compiled' | 'sanitized' {
  return planBody(args, true).compiled ? 'compiled' : 'sanitized'
}

/** Throws TemplateError (domain/email/liquid.ts) when the template is bad or exceeds a limit. */
export function renderEmail(args: RenderEmailArgs, options: { /** false: no compiled body (tests compare both). */ cache?: boolean } = {}): RenderedEmail {
  const { template, scope, now } = args
  const { placeholderMarkdown, merged, variant, compiled } = planBody(args, options.cache !== false)
  let body: string
  if (compiled) {
    // The step's HTML was sanitised once with the placeholders in it (they are only in text there): each
    // value goes in as the sanitiser would have written it (decision 110).
    body = variant!.sanitized!.replace(PLACEHOLDER, (_all, i: string) => escapeText(merged[Number(i)] ?? ''))
  } else {
    // marked percent-encodes link targets, so a placeholder inside a URL arrives encoded.
    const html = (variant?.html ?? (marked.parse(placeholderMarkdown) as string)).replace(PLACEHOLDER, (_all, i: string) => escapeHtml(merged[Number(i)] ?? ''))
    body = sanitizeEmailHtml(html)
  }
  if (args.trackClick) {
    const track = args.trackClick
    body = body.replace(/href="(https?:\/\/[^"]+)"/g, (_all, href: string) => `href="${escapeHtml(track(unescapeHtml(href)))}"`)
  }
  const footerLinks = [`<a href="${escapeHtml(args.unsubscribeUrl)}">Unsubscribe</a>`]
  if (args.preferencesUrl) footerLinks.push(`<a href="${escapeHtml(args.preferencesUrl)}">Email preferences</a>`)
  const pixel = args.openPixelUrl ? `<img src="${escapeHtml(args.openPixelUrl)}" width="1" height="1" alt="" style="display:block;border:0">` : ''
  const html = [
    '<!doctype html><html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"></head>',
    '<body style="font-family:system-ui,sans-serif;line-height:1.5;max-width:600px;margin:0 auto;padding:16px">',
    body,
    '<hr style="border:0;border-top:1px solid #ddd;margin-top:32px">',
    `<p style="font-size:12px;color:#666">${escapeHtml(args.postalAddress).replace(/\r?\n/g, '<br>')}<br>${footerLinks.join(' · ')}</p>`,
    pixel,
    '</body></html>',
  ].join('\n')

  const textFooter = [`--`, args.postalAddress, `Unsubscribe: ${args.unsubscribeUrl}`]
  if (args.preferencesUrl) textFooter.push(`Email preferences: ${args.preferencesUrl}`)
  // The text part is the HTML body as plain text (not raw Markdown): links as "text [url]", with the
  // same tracked URLs as the HTML part.
  const text = `${htmlToPlainText(body)}\n\n${textFooter.join('\n')}\n`
  const oneLine = (value: string) => value.replace(/[\r\n]+/g, ' ')
  const subject = oneLine(renderTemplate(template.subject, { scope, now, output: oneLine }))
  return { subject, html, text }
}

const TEXT_OPTIONS = {
  wordwrap: 78,
  selectors: [
    { selector: 'a', options: { hideLinkHrefIfSameAsText: true } },
    { selector: 'img', format: 'skip' },
    ...['h1', 'h2', 'h3', 'h4', 'h5', 'h6'].map((selector) => ({ selector, options: { uppercase: false } })),
    { selector: 'table', format: 'dataTable' },
  ],
}

/** `convert` compiles its options on every call (a third of a drip message's rendering): compiled once here. */
const toPlainText = compile(TEXT_OPTIONS)

/** A sanitised HTML body as readable plain text (paragraphs, lists, headings, links with their URL). */
export function htmlToPlainText(html: string): string {
  return toPlainText(html).trim()
}

function unescapeHtml(value: string): string {
  return value.replace(/&(amp|lt|gt|quot|#39);/g, (_all, e: string) => ({ amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'" })[e]!)
}

/** What keeps a step from being a compliant marketing email; empty when it may be activated. */
export function marketingProblems(args: { template: EmailTemplate; postalAddress: string | null | undefined }): Array<{ path: string; message: string }> {
  const problems: Array<{ path: string; message: string }> = []
  if (!args.template.subject.trim()) problems.push({ path: 'subject', message: 'Write a subject line' })
  if (!args.template.markdown.trim()) problems.push({ path: 'markdown', message: 'Write the message body' })
  if (!args.postalAddress?.trim()) problems.push({ path: 'postalAddress', message: 'Add the sender’s postal address in the email settings (required in marketing email)' })
  return problems
}
