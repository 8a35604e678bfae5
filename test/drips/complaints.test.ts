import { listEnrollments } from '../../db/queries/enrollments'
import { findContactByEmail } from '../../db/queries/contacts'
import { getSuppression, suppressAddress } from '../../db/queries/suppression'
import { activateDrip, createDrip, enrollContact, getDrip } from '../../core/drips.server'
import { applyComplaintReport } from '../../core/complaints.server'
import { updateContactFromApi } from '../../core/contacts.server'
import { runDripPass } from '../../core/drips/runner.server'
import { parseArf } from '../../domain/email/arf'
import { startDripHarness, T0, type DripHarness } from './harness'

/** ARF spam complaints (decision 078) against the drip runner and a real SMTP server on loopback. */

let h: DripHarness
beforeEach(async () => {
  h = await startDripHarness()
})
afterEach(async () => {
  await h?.close()
})

const TYPE = 'multipart/report; report-type=feedback-report; boundary="arf"'

/** A feedback loop's report about a message the loopback server received (the whole message attached). */
function arfAbout(raw: string, options: { rcptTo?: string; redact?: string } = {}): string {
  const original = options.redact ? raw.replaceAll(options.redact, 'redacted@example.com') : raw
  return [
    '--arf',
    'Content-Type: text/plain',
    '',
    'This is an email abuse report.',
    '--arf',
    'Content-Type: message/feedback-report',
    '',
    'Feedback-Type: abuse',
    'User-Agent: Loopback-FBL/1.0',
    'Version: 1',
    ...(options.rcptTo ? [`Original-Rcpt-To: <${options.rcptTo}>`] : []),
    '',
    '--arf',
    'Content-Type: message/rfc822',
    '',
    original.replace(/\r\n/g, '\n'),
    '--arf--',
  ].join('\r\n')
}

async function complain(text: string) {
  const parsed = parseArf({ contentType: TYPE, text })
  if (!parsed.ok) throw new Error(parsed.message)
  return applyComplaintReport(h.services, { workspaceId: h.workspaceId, report: parsed.report })
}

async function twoStepDrip(addresses: string[]) {
  const drip = await createDrip(h.services, {
    workspaceId: h.workspaceId,
    input: { name: 'Onboarding', steps: [{ subject: 'One', markdown: 'one' }, { subject: 'Two', markdown: 'two', delay: 'P1D' }] },
  })
  await activateDrip(h.services, { workspaceId: h.workspaceId, dripId: drip.id })
  for (const address of addresses) await enrollContact(h.services, { workspaceId: h.workspaceId, dripId: drip.id, input: { contactId: await h.contact(address) } })
  return drip
}

const messageTo = (address: string) => h.smtp.messages.find((m) => m.envelope.to[0] === address)!

describe('spam complaints (ARF)', () => {
  it('a complaint makes the contact complained and suppressed, counts once on its step, ends the enrollment, and nothing more is sent', async () => {
    const drip = await twoStepDrip(['ann@example.com', 'bob@example.com'])
    expect(await runDripPass(h.runner())).toMatchObject({ sent: 2 })
    const report = arfAbout(messageTo('ann@example.com').raw, { rcptTo: 'ann@example.com' })
    const first = await complain(report)
    expect(first).toMatchObject({ outcome: 'complained', email: 'ann@example.com', duplicate: false })
    expect(await complain(report)).toMatchObject({ outcome: 'complained', duplicate: true }) // reported twice: counted once

    const ann = await findContactByEmail(h.database.db, { workspaceId: h.workspaceId, email: 'ann@example.com' })
    expect(ann?.status).toBe('complained')
    expect(await getSuppression(h.database.db, { workspaceId: h.workspaceId, email: 'ann@example.com' })).toMatchObject({ reason: 'complaint' })
    const view = await getDrip(h.services, { workspaceId: h.workspaceId, dripId: drip.id })
    expect(first).toMatchObject({ stepId: view.steps[0]!.id })
    expect(view.steps.map((s) => s.counts.complained)).toEqual([1, 0])
    expect(view.totals).toMatchObject({ complained: 1 })
    const annEnrollment = (await listEnrollments(h.database.db, { workspaceId: h.workspaceId, dripId: drip.id })).find((e) => e.contactId === ann!.id)
    expect(annEnrollment).toMatchObject({ status: 'unsubscribed', endReason: 'spam complaint', nextDueAt: null })

    h.clock.set(new Date(T0.getTime() + 25 * 3_600_000))
    expect(await runDripPass(h.runner())).toMatchObject({ sent: 1 })
    expect(h.smtp.messages.map((m) => m.envelope.to[0]).sort()).toEqual(['ann@example.com', 'bob@example.com', 'bob@example.com'])
  })

  it('a redacted recipient is found through the signed List-Unsubscribe URL of the original message (or its Message-ID)', async () => {
    const drip = await twoStepDrip(['cid@example.com', 'dee@example.com'])
    expect(await runDripPass(h.runner())).toMatchObject({ sent: 2 })
    const step = (await getDrip(h.services, { workspaceId: h.workspaceId, dripId: drip.id })).steps[0]!
    expect(await complain(arfAbout(messageTo('cid@example.com').raw, { redact: 'cid@example.com' }))).toMatchObject({ email: 'cid@example.com', stepId: step.id })
    const withoutUnsubscribe = messageTo('dee@example.com').raw.replace(/^List-Unsubscribe:.*(\r?\n[ \t].*)*/m, 'X-Removed: by the provider')
    expect(withoutUnsubscribe).not.toMatch(/^List-Unsubscribe:/im)
    expect(await complain(arfAbout(withoutUnsubscribe, { redact: 'dee@example.com' }))).toMatchObject({ email: 'dee@example.com', stepId: step.id })
    const counts = (await getDrip(h.services, { workspaceId: h.workspaceId, dripId: drip.id })).steps[0]!.counts
    expect(counts.complained).toBe(2)
  })

  it('a report naming nobody of the workspace is refused naming Original-Rcpt-To; other feedback types are ignored', async () => {
    const text = ['--arf', 'Content-Type: message/feedback-report', '', 'Feedback-Type: abuse', 'Original-Rcpt-To: <stranger@example.com>', '--arf--'].join('\n')
    // Not a contact: the address is suppressed all the same.
    expect(await complain(text)).toMatchObject({ outcome: 'complained', contactId: null })
    expect(await getSuppression(h.database.db, { workspaceId: h.workspaceId, email: 'stranger@example.com' })).toMatchObject({ reason: 'complaint' })
    expect(await complain(text.replace('abuse', 'not-spam'))).toMatchObject({ outcome: 'ignored' })
    const unknownUrl = ['--arf', 'Content-Type: message/feedback-report', '', 'Feedback-Type: abuse', '', '--arf', 'Content-Type: text/rfc822-headers', '', 'List-Unsubscribe: <https://x.example/u/forged>', '--arf--'].join('\n')
    await expect(complain(unknownUrl)).rejects.toMatchObject({ field: 'Original-Rcpt-To', status: 422 })
  })

  it('the contact API can set complained; a complaint replaces an earlier unsubscribe, which can then no longer be lifted', async () => {
    const contactId = await h.contact('eve@example.com')
    const at = T0
    await suppressAddress(h.database.db, { workspaceId: h.workspaceId, email: 'eve@example.com', reason: 'unsubscribed', at })
    const updated = await updateContactFromApi(h.services, { workspaceId: h.workspaceId, contactId, input: { status: 'complained' } })
    expect(updated?.status).toBe('complained')
    expect(await getSuppression(h.database.db, { workspaceId: h.workspaceId, email: 'eve@example.com' })).toMatchObject({ reason: 'complaint' })
    await expect(updateContactFromApi(h.services, { workspaceId: h.workspaceId, contactId, input: { status: 'subscribed' } })).rejects.toMatchObject({ field: 'status', status: 409 })
  })
})
