import { randomUUID } from 'node:crypto'
import type { Clock } from '../../domain/clock'
import { requestJson, retryAfter, type HttpAnswer } from '../http-json'
import { ConnectorError } from '../types'
import type { Session } from './atproto'
import type { CallKind } from './errors'

/** Bluesky video through its video service (decisions 105, 111): the connector's `processVideo`. */
export function createVideoUploader(deps: {
  clock: Clock
  timeoutMs: number
  processingTimeoutMs: number
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>
  /** The connector's PDS call, errors mapped into the taxonomy. */
  call: <T>(kind: CallKind, service: string, run: () => Promise<T>) => Promise<T>
}) {
  const { clock, timeoutMs, processingTimeoutMs, sleep, call } = deps

  /**
   * Through a video service: a service-auth token from the account's PDS (audience: the PDS's DID, for
   * `com.atproto.repo.uploadBlob`, 30 minutes), the file to `app.bsky.video.uploadVideo` (409
   * `already_exists` names the job of the same file), then `getJobStatus` 1, 2, 4, then 8 s apart until
   * the job is COMPLETED with the blob the service stored on the PDS. Nothing is visible before the post:
   * every failure here can be retried; a FAILED job is the video's fault. Before any byte is sent, the
   * account's daily quota is read (`app.bsky.video.getUploadLimits`, decision 111): over it is
   * `rate-limited` until the next midnight UTC (the service names no reset).
   */
  async function processVideo(s: Session, videoService: string, data: Uint8Array, signal?: AbortSignal) {
    await checkUploadLimits(s, videoService, data.byteLength, signal)
    const pds = await call('read', s.service, () => s.agent.com.atproto.server.describeServer())
    const auth = await call('read', s.service, () =>
      s.agent.com.atproto.server.getServiceAuth({ aud: pds.data.did, lxm: 'com.atproto.repo.uploadBlob', exp: Math.floor(clock.now().getTime() / 1000) + 30 * 60 }),
    )
    const toError = ({ status, headers, data: body }: HttpAnswer) => {
      const e = (body ?? {}) as { error?: string; message?: string }
      const message = `Bluesky's video service answered ${status}: ${e.message ?? e.error ?? 'no details'}`
      const detail = { status, code: e.error }
      if (status === 429) return new ConnectorError('rate-limited', message, { detail, resetAt: retryAfter(headers, clock.now()) ?? new Date(clock.now().getTime() + 3600_000) })
      if (status === 401 || status === 403) return new ConnectorError('auth', message, { detail })
      if (status >= 500) return new ConnectorError('transient', message, { detail })
      return new ConnectorError('invalid-content', message, { detail })
    }
    const upload = new URL(`${videoService}/xrpc/app.bsky.video.uploadVideo`)
    upload.search = new URLSearchParams({ did: s.did, name: `${randomUUID()}.mp4` }).toString()
    let jobId: string
    let sameFile: string | undefined
    try {
      const answer = await requestJson<{ jobId: string }>({
        network: 'Bluesky',
        kind: 'read',
        url: upload.toString(),
        method: 'POST',
        headers: { authorization: `Bearer ${auth.data.token}`, 'content-type': 'video/mp4' },
        body: new Blob([new Uint8Array(data)]),
        signal,
        timeoutMs: Math.max(timeoutMs, 5 * 60_000),
        toError: (answer) => {
          const body = answer.data as { error?: string; jobId?: string } | undefined
          if (answer.status === 409 && body?.error === 'already_exists' && body.jobId) sameFile = body.jobId
          return toError(answer)
        },
      })
      jobId = answer.data.jobId
    } catch (error) {
      if (!sameFile) throw error
      jobId = sameFile
    }
    const started = clock.now().getTime()
    for (let read = 0; ; read++) {
      const waitMs = Math.min(8000, 1000 * 2 ** read)
      if (clock.now().getTime() + waitMs - started > processingTimeoutMs) {
        throw new ConnectorError('transient', `Bluesky was still processing the video after ${Math.round(processingTimeoutMs / 1000)} s; nothing was posted`, { detail: { code: 'media-processing-timeout' } })
      }
      await sleep(waitMs, signal)
      const status = new URL(`${videoService}/xrpc/app.bsky.video.getJobStatus`)
      status.search = new URLSearchParams({ jobId }).toString()
      const { data: job } = await requestJson<{ jobStatus: { state: string; blob?: unknown; error?: string; message?: string } }>({ network: 'Bluesky', kind: 'read', url: status.toString(), signal, timeoutMs, toError })
      if (job.jobStatus.state === 'JOB_STATE_FAILED') {
        throw new ConnectorError('invalid-content', `Bluesky could not process the video: ${job.jobStatus.message ?? job.jobStatus.error ?? 'no details'}`, { detail: { code: 'media-processing-failed' } })
      }
      // The blob as JSON (`ref: { $link }`) becomes the BlobRef a record holds.
      if (job.jobStatus.state === 'JOB_STATE_COMPLETED' && job.jobStatus.blob) return s.api.jsonToLex(job.jobStatus.blob)
    }
  }

  /** The video service's daily quota for this account (a service token for `app.bsky.video.getUploadLimits`, audience the service's did:web). */
  async function checkUploadLimits(s: Session, videoService: string, bytes: number, signal?: AbortSignal): Promise<void> {
    const aud = `did:web:${encodeURIComponent(new URL(videoService).host)}`
    const auth = await call('read', s.service, () => s.agent.com.atproto.server.getServiceAuth({ aud, lxm: 'app.bsky.video.getUploadLimits', exp: Math.floor(clock.now().getTime() / 1000) + 5 * 60 }))
    type UploadLimits = { canUpload?: boolean; remainingDailyVideos?: number; remainingDailyBytes?: number; message?: string; error?: string }
    const { data: limits } = await requestJson<UploadLimits>({
      network: 'Bluesky',
      kind: 'read',
      url: `${videoService}/xrpc/app.bsky.video.getUploadLimits`,
      headers: { authorization: `Bearer ${auth.data.token}` },
      signal,
      timeoutMs,
      toError: ({ status, headers, data: body }) => {
        const e = (body ?? {}) as { error?: string; message?: string }
        const message = `Bluesky's video service answered ${status}: ${e.message ?? e.error ?? 'no details'}`
        if (status === 429) return new ConnectorError('rate-limited', message, { detail: { status, code: e.error }, resetAt: retryAfter(headers, clock.now()) ?? nextMidnightUtc(clock.now()) })
        if (status === 401 || status === 403) return new ConnectorError('auth', message, { detail: { status, code: e.error } })
        return new ConnectorError('transient', message, { detail: { status, code: e.error } })
      },
    }).catch((error: unknown) => {
      // A video service without the method (a self-hosted one, say) names no quota: the upload itself
      // answers 429 when one is reached.
      if (error instanceof ConnectorError && (error.detail?.status === 404 || error.detail?.status === 501)) return { data: {} as UploadLimits }
      throw error
    })
    const over = limits.canUpload === false || limits.remainingDailyVideos === 0 || (limits.remainingDailyBytes !== undefined && limits.remainingDailyBytes < bytes)
    if (!over) return
    const why = limits.message ?? (limits.remainingDailyVideos === 0 ? 'no videos left today' : `${limits.remainingDailyBytes ?? 0} bytes left today, the video has ${bytes}`)
    throw new ConnectorError('rate-limited', `Bluesky's daily video limit is reached for this account: ${why}`, { resetAt: nextMidnightUtc(clock.now()), detail: { code: limits.error ?? 'video-upload-limit' } })
  }

  return { processVideo }
}

/** Bluesky's video quota is daily and its service names no reset: the next midnight UTC. */
function nextMidnightUtc(now: Date): Date {
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1))
}
