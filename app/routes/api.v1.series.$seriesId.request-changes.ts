import { approvalEndpoint } from '~/utils/series-approval-api.server'

/** POST /api/v1/series/{seriesId}/request-changes (see app/utils/openapi/series.ts). */
export const action = approvalEndpoint('request-changes')
