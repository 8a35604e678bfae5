/**
 * Direct mail (docs/decisions/082-direct-mail-step.md): a postal address and what a piece costs. Pure.
 */
import { z } from 'zod'

const Line = (max: number) => z.string().trim().min(1, { error: 'must not be empty' }).max(max)

/** A US postal address as Lob takes it (address_line1 …); the country is US for now. */
export const PostalAddressSchema = z.strictObject({
  name: Line(40),
  line1: Line(64),
  line2: z.string().trim().max(64).optional(),
  city: Line(200),
  state: z.string().trim().regex(/^[A-Za-z]{2}$/, { error: 'must be a two-letter state code' }).transform((s) => s.toUpperCase()),
  zip: z.string().trim().regex(/^\d{5}(-\d{4})?$/, { error: 'must be a ZIP code like 94107 or 94107-1234' }),
})
export type PostalAddress = z.output<typeof PostalAddressSchema>

/** Lob's verdict on a contact's address (Lob's `deliverability`), when it was taken. */
export type PostalVerification = { deliverability: string; at: string }

export const MAIL_PIECES = ['postcard', 'letter'] as const
export type MailPiece = (typeof MAIL_PIECES)[number]

export type MailPrices = { postcard: number; letter: number; /** Each letter page after the first. */ letterExtraPage: number }

/** What one piece costs at the workspace's prices (a letter: its first page plus each further page). */
export function mailCost(args: { piece: MailPiece; pages?: number; prices: MailPrices }): number {
  const { prices } = args
  const cost = args.piece === 'postcard' ? prices.postcard : prices.letter + Math.max(0, (args.pages ?? 1) - 1) * prices.letterExtraPage
  return Math.round(cost * 10_000) / 10_000
}

/** Lob's deliverability verdicts that still let a piece be mailed; `undeliverable` and the rest skip the step. */
export function isMailable(deliverability: string): boolean {
  return deliverability === 'deliverable' || deliverability === 'deliverable_unnecessary_unit' || deliverability === 'deliverable_incorrect_unit' || deliverability === 'deliverable_missing_unit'
}
