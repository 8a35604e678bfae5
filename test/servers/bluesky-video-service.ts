import { randomBytes } from 'node:crypto'
import { startHttpBase, type LoopbackAnswer } from './http-base'

/**
 * A loopback server that speaks Bluesky's video service (video.bsky.app) as docs.bsky.app's video
 * tutorial and the `app.bsky.video.*` lexicons describe it: `POST /xrpc/app.bsky.video.uploadVideo?did=&name=`
 * takes the MP4 with a service-auth token the uploader's PDS issued (`aud` the PDS's DID, `lxm`
 * `com.atproto.repo.uploadBlob`), answers the job's status (`{ jobId, did, state }`; 409
 * `already_exists` with the job for the same file again), and `GET /xrpc/app.bsky.video.getJobStatus?jobId=`
 * answers `{ jobStatus: { jobId, did, state, progress, blob?, error?, message? } }`. The "processed"
 * video is the uploaded file, stored as a blob on the uploader's own PDS with that same token (as the
 * real service does), so the PDS checks the token's signature; the states each read answers follow the
 * test's script (`scriptJobs`). `GET /xrpc/app.bsky.video.getUploadLimits` (a service token with `aud`
 * the service's did:web and `lxm` app.bsky.video.getUploadLimits) answers the daily quota `setUploadLimits` sets.
 */
export type UploadLimits = { canUpload: boolean; remainingDailyVideos?: number; remainingDailyBytes?: number; message?: string; error?: string }
export type VideoJobState = 'JOB_STATE_CREATED' | 'JOB_STATE_ENCODING' | 'JOB_STATE_SCANNING' | 'JOB_STATE_COMPLETED' | 'JOB_STATE_FAILED'
export type VideoJob = { jobId: string; did: string; name: string; bytes: Buffer; script: VideoJobState[]; state: VideoJobState; blob?: unknown; reads: number }

export type BlueskyVideoService = {
  url: string
  did: string
  jobs: Map<string, VideoJob>
  /** How the next uploads are processed, one script of states (one per status read) each; without one: ENCODING twice, then COMPLETED. */
  scriptJobs(...scripts: VideoJobState[][]): void
  /** What getUploadLimits answers from now on (default: can upload, 25 videos and 10 GB left); null: 501, as a service without the method. */
  setUploadLimits(limits: UploadLimits | null): void
  /** Requests by path, in order (what was asked before an upload, or instead of one). */
  requests: string[]
  close(): Promise<void>
}

export async function startBlueskyVideoService(args: { /** Where the service stores the processed blob (the PDS itself, past any proxy). */ pdsUrl: string }): Promise<BlueskyVideoService> {
  const jobs = new Map<string, VideoJob>()
  const scripts: VideoJobState[][] = []
  const requests: string[] = []
  let uploadLimits: UploadLimits | null = { canUpload: true, remainingDailyVideos: 25, remainingDailyBytes: 10 * 1024 ** 3 }
  const claimsOf = (token: string | undefined) => {
    try {
      return JSON.parse(Buffer.from((token ?? '').split('.')[1] ?? '', 'base64url').toString('utf8')) as { iss?: string; aud?: string; lxm?: string; exp?: number }
    } catch {
      return null
    }
  }
  const xrpcError = (status: number, error: string, message: string): LoopbackAnswer => ({ status, json: { error, message } })
  const status = (job: VideoJob) => ({
    jobId: job.jobId,
    did: job.did,
    state: job.state,
    progress: job.state === 'JOB_STATE_COMPLETED' ? 100 : Math.min(90, job.reads * 30),
    ...(job.state === 'JOB_STATE_COMPLETED' ? { blob: job.blob } : {}),
    ...(job.state === 'JOB_STATE_FAILED' ? { error: 'VideoProcessingFailed', message: 'The video could not be encoded: no decodable frames.' } : {}),
  })

  let serviceDid = ''
  const http = await startHttpBase(async (request) => {
    const path = request.url.pathname
    requests.push(path)
    if (request.method === 'GET' && path === '/xrpc/app.bsky.video.getUploadLimits') {
      const claims = claimsOf(request.bearer)
      if (!claims) return xrpcError(401, 'AuthMissing', 'Authentication Required')
      if (claims.lxm !== 'app.bsky.video.getUploadLimits' || claims.aud !== serviceDid) return xrpcError(401, 'InvalidToken', `the token must be for ${serviceDid}, app.bsky.video.getUploadLimits`)
      if (!uploadLimits) return xrpcError(501, 'MethodNotImplemented', 'Method Not Implemented')
      return { status: 200, json: uploadLimits }
    }
    if (request.method === 'POST' && path === '/xrpc/app.bsky.video.uploadVideo') {
      const token = request.bearer
      if (!token) return xrpcError(401, 'AuthMissing', 'Authentication Required')
      let claims: { iss?: string; aud?: string; lxm?: string; exp?: number }
      try {
        claims = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as typeof claims
      } catch {
        return xrpcError(401, 'InvalidToken', 'Malformed token')
      }
      const did = request.url.searchParams.get('did') ?? ''
      if (claims.iss !== did || claims.lxm !== 'com.atproto.repo.uploadBlob') return xrpcError(401, 'InvalidToken', `the token must be issued by ${did} for com.atproto.repo.uploadBlob`)
      if (!request.body.subarray(4, 8).equals(Buffer.from('ftyp'))) return xrpcError(400, 'InvalidVideo', 'Not an MP4 file')
      const same = [...jobs.values()].find((j) => j.did === did && j.bytes.equals(request.body))
      if (same) return { status: 409, json: { error: 'already_exists', message: 'Video already processed', jobId: same.jobId, did } }
      // The processed file goes to the uploader's PDS with the uploader's token: the PDS verifies it.
      const stored = await fetch(`${args.pdsUrl}/xrpc/com.atproto.repo.uploadBlob`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'video/mp4' }, body: new Uint8Array(request.body) })
      if (!stored.ok) return xrpcError(502, 'UpstreamFailure', `the PDS refused the blob: ${stored.status} ${await stored.text()}`)
      const { blob } = (await stored.json()) as { blob: unknown }
      const job: VideoJob = {
        jobId: randomBytes(8).toString('hex'),
        did,
        name: request.url.searchParams.get('name') ?? '',
        bytes: request.body,
        script: [...(scripts.shift() ?? ['JOB_STATE_ENCODING', 'JOB_STATE_ENCODING', 'JOB_STATE_COMPLETED'])],
        state: 'JOB_STATE_CREATED',
        blob,
        reads: 0,
      }
      jobs.set(job.jobId, job)
      return { status: 200, json: { jobId: job.jobId, did, state: job.state } }
    }
    if (request.method === 'GET' && path === '/xrpc/app.bsky.video.getJobStatus') {
      const job = jobs.get(request.url.searchParams.get('jobId') ?? '')
      if (!job) return xrpcError(404, 'NotFound', 'no such job')
      job.reads++
      job.state = job.script.length > 1 ? job.script.shift()! : job.script[0]!
      return { status: 200, json: { jobStatus: status(job) } }
    }
    return xrpcError(404, 'MethodNotImplemented', `${path} is not implemented here`)
  })
  serviceDid = `did:web:${encodeURIComponent(new URL(http.url).host)}`
  return {
    url: http.url,
    did: 'did:web:video.bsky.app',
    jobs,
    requests,
    scriptJobs: (...more) => void scripts.push(...more),
    setUploadLimits: (limits) => {
      uploadLimits = limits
    },
    close: () => http.close(),
  }
}
