import { apiError, apiJson, apiRoute } from '~/utils/api.server'
import { applyComplaintReport, applyDsn } from '../core.server'
import { ComplaintReportSchema, DsnInputSchema } from '~/utils/openapi/contacts'
import { parseDsn } from '#domain/email/dsn'
import { isFeedbackReport, parseArf } from '#domain/email/arf'

const MAX_RAW_BYTES = 1024 * 1024

/**
 * Inbound bounces from the MTA or relay: JSON (`{ recipients: [...] }`), or the raw report as
 * `message/delivery-status`, `multipart/report` or `message/rfc822` text. Hard bounces are suppressed.
 * ARF spam complaints (RFC 5965, `report-type=feedback-report`) arrive here too (decision 078).
 */
export const { loader, action } = apiRoute({
  POST: async ({ request, services, auth, body }) => {
    const type = (request.headers.get('Content-Type') ?? '').toLowerCase()
    let recipients
    if (type.startsWith('application/json')) {
      const input = await body(DsnInputSchema)
      recipients = input.recipients.map((r) => ({
        recipient: r.recipient,
        action: r.action.toLowerCase(),
        status: r.status,
        diagnostic: r.diagnostic ?? null,
        hard: r.action.toLowerCase() === 'failed' && r.status.startsWith('5.'),
      }))
    } else if (/^(message\/delivery-status|multipart\/report|message\/rfc822|text\/plain)/.test(type)) {
      const text = await request.text()
      if (Buffer.byteLength(text) > MAX_RAW_BYTES) return apiError(413, 'body_too_large', `The body is larger than ${MAX_RAW_BYTES} bytes`)
      const contentType = request.headers.get('Content-Type') ?? ''
      if (isFeedbackReport({ contentType, text })) {
        const parsed = parseArf({ contentType, text })
        if (!parsed.ok) return apiError(400, 'invalid_request', parsed.message, parsed.field)
        const report = ComplaintReportSchema.parse(parsed.report)
        const result = await applyComplaintReport(services, { workspaceId: auth.workspaceId, report })
        if (result.outcome === 'ignored') return apiJson({ suppressed: [], ignored: report.recipients })
        return apiJson({ suppressed: [result.email], ignored: [], complaint: { contactId: result.contactId, stepId: result.stepId, duplicate: result.duplicate } })
      }
      recipients = parseDsn(text)
      if (recipients.length === 0) return apiError(400, 'invalid_request', 'No per-recipient fields (Final-Recipient, Action, Status) found in the report', 'body')
    } else {
      return apiError(400, 'invalid_request', 'Send JSON, or the report as message/delivery-status or multipart/report', 'Content-Type')
    }
    return apiJson(await applyDsn(services, { workspaceId: auth.workspaceId, recipients }))
  },
})
