import type { ActionFunctionArgs } from '@remix-run/node'
import { uploadMediaFile } from '~/utils/media-upload.server'
import { MAX_VIDEO_BYTES } from '../core.server'

/**
 * Upload one video (MP4 or MOV) for a post (decision 102): the composer posts a video here rather than to
 * /app/media, so images keep their 5 MB body limit. Session + CSRF; answers the stored media as JSON, or
 * a 4xx `{ error, field }` saying what is wrong with the file (413 too big, 415 not a video it can read).
 */
export async function action({ request, context }: ActionFunctionArgs) {
  // An image sent here is stored too (its own 5 MB limit applies in storeImage).
  return uploadMediaFile(request, context.services, { tooBig: `videos can be at most ${MAX_VIDEO_BYTES / 1024 / 1024} MB`, missing: 'choose a video to upload' }, MAX_VIDEO_BYTES)
}
