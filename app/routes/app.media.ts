import type { ActionFunctionArgs } from '@remix-run/node'
import { uploadMediaFile } from '~/utils/media-upload.server'
import { MAX_IMAGE_BYTES } from '../core.server'

/**
 * Upload one image for a post (the editor's file input posts here; session + CSRF). Answers the stored
 * image as JSON, or a 4xx `{ error, field }` saying what is wrong with the file.
 */
export async function action({ request, context }: ActionFunctionArgs) {
  return uploadMediaFile(request, context.services, { tooBig: 'images can be at most 5 MB', missing: 'choose an image to upload' }, MAX_IMAGE_BYTES)
}
