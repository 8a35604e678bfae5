/**
 * A direct-mail drip step (docs/decisions/089-direct-mail-drip-step.md): a postcard (front and back HTML)
 * or a letter (HTML), with the same Liquid merge fields as an email (`{{ contact.first_name }}`), which the
 * runner fills in per contact before the piece goes to Lob. Pure.
 */
import { z } from 'zod'
import { MAIL_PIECES } from './address'

const Html = (what: string) =>
  z
    .string()
    .max(50_000)
    .refine((s) => s.trim().length > 0, { error: `write the ${what}` })

export const POSTCARD_SIZES = ['4x6', '6x9', '6x11'] as const

export const MailStepSchema = z
  .strictObject({
    piece: z.enum(MAIL_PIECES, { error: 'piece must be postcard or letter' }),
    /** Postcard sides. */
    front: Html('front of the postcard').optional(),
    back: Html('back of the postcard').optional(),
    size: z.enum(POSTCARD_SIZES, { error: 'size must be 4x6, 6x9 or 6x11' }).optional(),
    /** Letter HTML, its colour printing and its page count (for the cost estimate). */
    file: Html('letter').optional(),
    color: z.boolean({ error: 'color: true or false' }).optional(),
    pages: z.coerce.number({ error: 'must be a number' }).int({ error: 'must be a whole number' }).min(1, { error: 'must be at least 1' }).max(6, { error: 'must be at most 6' }).optional(),
  })
  .superRefine((m, ctx) => {
    if (m.piece === 'postcard') {
      if (m.front === undefined) ctx.addIssue({ code: 'custom', path: ['front'], message: 'write the front of the postcard' })
      if (m.back === undefined) ctx.addIssue({ code: 'custom', path: ['back'], message: 'write the back of the postcard' })
      if (m.file !== undefined) ctx.addIssue({ code: 'custom', path: ['file'], message: 'a postcard has a front and a back, not a letter' })
    } else {
      if (m.file === undefined) ctx.addIssue({ code: 'custom', path: ['file'], message: 'write the letter' })
      if (m.front !== undefined || m.back !== undefined) ctx.addIssue({ code: 'custom', path: [m.front !== undefined ? 'front' : 'back'], message: 'a letter has one HTML file, not a front and back' })
    }
  })
export type MailStep = z.output<typeof MailStepSchema>

/** The piece's HTML parts that carry merge fields, by name. */
export function mailTemplates(m: Pick<MailStep, 'front' | 'back' | 'file'>): Array<{ part: 'front' | 'back' | 'file'; html: string }> {
  return (['front', 'back', 'file'] as const).flatMap((part) => (m[part] !== undefined ? [{ part, html: m[part]! }] : []))
}
