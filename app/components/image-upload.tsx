import { Alert, Progress, Stack, Text } from '@mantine/core'
import { useState } from 'react'

/**
 * Upload one image (/app/media) or video (/app/media/videos) to the media store; resolves the stored id
 * or the server's message. XMLHttpRequest rather than fetch: it reports how much of the file was sent,
 * for the progress bar (`onProgress` gets 0..1).
 */
export function uploadImage(file: File, csrf: string, onProgress?: (fraction: number) => void): Promise<{ ok: true; mediaId: string } | { ok: false; error: string }> {
  const body = new FormData()
  body.set('csrf', csrf)
  body.set('file', file)
  return new Promise((resolve) => {
    const request = new XMLHttpRequest()
    // Videos have their own route and body limit (decision 102); the server reads the type from the bytes.
    request.open('POST', file.type.startsWith('video/') ? '/app/media/videos' : '/app/media')
    request.responseType = 'json'
    request.upload.onprogress = (event) => {
      if (event.lengthComputable && event.total > 0) onProgress?.(event.loaded / event.total)
    }
    request.onload = () => {
      const json = (request.response ?? {}) as { id?: string; error?: string }
      if (request.status >= 200 && request.status < 300 && json.id) resolve({ ok: true, mediaId: json.id })
      else resolve({ ok: false, error: json.error ?? `The upload failed (${request.status}).` })
    }
    request.onerror = () => resolve({ ok: false, error: 'The upload failed: check the connection and try again.' })
    request.send(body)
  })
}

export const UPLOAD_ACCEPT = 'image/jpeg,image/png,image/gif,image/webp,video/mp4,video/quicktime'

/**
 * "Add an image to <label>": a file input that uploads through the same route as the main post's
 * (uploadImage), with its progress bar and the server's message on failure. `onUploaded` gets the
 * stored id (the alt text is written next to the image).
 */
export function ImageUpload(props: { label: string; csrf: string; onUploaded(mediaId: string): void }) {
  const [progress, setProgress] = useState<{ fileName: string; fraction: number } | null>(null)
  const [error, setError] = useState('')
  async function onFile(input: HTMLInputElement) {
    const file = input.files?.[0]
    if (!file) return
    setProgress({ fileName: file.name, fraction: 0 })
    const result = await uploadImage(file, props.csrf, (fraction) => setProgress({ fileName: file.name, fraction }))
    setProgress(null)
    input.value = ''
    if (!result.ok) return setError(result.error)
    setError('')
    props.onUploaded(result.mediaId)
  }
  return (
    <Stack gap={4}>
      <Text component="label" size="sm">
        {progress ? 'Uploading… ' : `Add an image to ${props.label} `}
        <input type="file" accept={UPLOAD_ACCEPT} onChange={(e) => void onFile(e.currentTarget)} />
      </Text>
      {progress ? <Progress value={Math.round(progress.fraction * 100)} size="sm" aria-label={`Uploading ${progress.fileName}: ${Math.round(progress.fraction * 100)}%`} /> : null}
      {error ? (
        <Alert color="red" role="alert" p="xs">
          {error}
        </Alert>
      ) : null}
    </Stack>
  )
}
