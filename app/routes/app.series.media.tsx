import { Alert, Anchor, Button, Card, Group, Image, SimpleGrid, Stack, Text, TextInput, Title } from '@mantine/core'
import { data, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node'
import { Form, Link, useActionData, useLoaderData, useNavigation } from '@remix-run/react'
import { libraryHref } from '~/components/media-picker'
import { CsrfInput } from '~/components/csrf-input'
import { GeneralErrorBoundary } from '~/components/error-boundary'
import { requireMembership, roleAtLeast } from '~/utils/auth.server'
import { readFormData } from '~/utils/forms.server'
import { redirectWithToast } from '~/utils/toast.server'
import { deleteMedia, InputError, MAX_IMAGE_BYTES, messageForPeople, pageLibrary, storeImage, updateMediaAlt } from '../core.server'

export const meta: MetaFunction = () => [{ title: 'Media library · Trickle' }]

/**
 * One page of the library's images, newest first: `?q=` searches file names and alt texts, `?cursor=` is
 * the page after the one before (the composer's picker loads this too, through a fetcher).
 */
export async function loader({ request, context }: LoaderFunctionArgs) {
  const { workspace, membership } = await requireMembership(request, context.services)
  const url = new URL(request.url)
  const q = url.searchParams.get('q') ?? ''
  const cursor = url.searchParams.get('cursor') ?? undefined
  try {
    const page = await pageLibrary(context.services, { workspaceId: workspace.id, query: q, cursor })
    return { ...page, q, firstPage: !cursor, canEdit: roleAtLeast(membership.role, 'editor') }
  } catch (error) {
    if (error instanceof InputError) throw data({ message: messageForPeople(error.message) }, { status: 400 })
    throw error
  }
}

type ActionResult = { fieldErrors: Record<string, string>; mediaId?: string }

export async function action({ request, context }: ActionFunctionArgs) {
  const { services } = context
  const { workspace } = await requireMembership(request, services, { role: 'editor' })
  if (Number(request.headers.get('Content-Length') ?? 0) > MAX_IMAGE_BYTES + 64 * 1024) return data<ActionResult>({ fieldErrors: { file: 'Images can be at most 5 MB.' } }, { status: 413 })
  const form = await readFormData(request, services)
  const intent = form.get('intent')
  const mediaId = String(form.get('mediaId') ?? '')
  const back = '/app/series/media'
  try {
    if (intent === 'upload') {
      const file = form.get('file')
      if (!file || typeof file === 'string' || file.size === 0) return data<ActionResult>({ fieldErrors: { file: 'Choose an image to upload.' } }, { status: 400 })
      await storeImage(services, { workspaceId: workspace.id, fileName: file.name, bytes: new Uint8Array(await file.arrayBuffer()), alt: String(form.get('alt') ?? '') })
      return redirectWithToast(services, back, { kind: 'success', message: `${file.name} is in the library.` })
    }
    if (intent === 'alt') {
      await updateMediaAlt(services, { workspaceId: workspace.id, mediaId, alt: form.get('alt') ?? '' })
      return redirectWithToast(services, back, { kind: 'success', message: 'Alt text saved.' })
    }
    if (intent === 'delete') {
      await deleteMedia(services, { workspaceId: workspace.id, mediaId })
      return redirectWithToast(services, back, { kind: 'success', message: 'Image deleted.' })
    }
    return data<ActionResult>({ fieldErrors: { form: "intent: 'upload', 'alt' or 'delete'" } }, { status: 400 })
  } catch (error) {
    if (!(error instanceof InputError)) throw error
    const field = intent === 'upload' ? (error.field ?? 'file') : (error.field ?? 'form')
    return data<ActionResult>({ fieldErrors: { [field]: messageForPeople(error.message).replace(/^(file|alt|mediaId): /, '') }, mediaId }, { status: error.status })
  }
}

/**
 * The workspace's media library (decision 098): images uploaded once and reused across posts, each with
 * the alt text kept with it (offered when the image is picked in the composer). An image a post still
 * uses cannot be deleted; the refusal names the posts.
 */
export default function MediaLibrary() {
  const { images, canEdit, q, nextCursor, firstPage } = useLoaderData<typeof loader>()
  const result = useActionData<typeof action>()
  const errors: Record<string, string | undefined> = result?.fieldErrors ?? {}
  const busy = useNavigation().state === 'submitting'
  return (
    <Stack maw={960}>
      <Anchor component={Link} to="/app/series" size="sm">
        ← Series
      </Anchor>
      <Title order={1}>Media library</Title>
      <Text c="dimmed">Upload an image once and use it in any post: the series editor’s “Choose from library” offers these images with their alt text.</Text>
      {canEdit ? (
        <Card withBorder component="section" aria-labelledby="upload-image">
          <Title order={2} size="h4" id="upload-image" mb="xs">
            Upload an image
          </Title>
          <Form method="post" encType="multipart/form-data">
            <CsrfInput />
            <Stack gap="sm">
              <Stack gap={4}>
                <Text component="label" size="sm" htmlFor="library-file" fw={500}>
                  Image (JPEG, PNG, GIF or WebP, at most 5 MB)
                </Text>
                <input id="library-file" type="file" name="file" required accept="image/jpeg,image/png,image/gif,image/webp" aria-describedby={errors.file ? 'library-file-error' : undefined} />
                {errors.file ? (
                  <Text id="library-file-error" c="red" size="sm" role="alert">
                    {errors.file}
                  </Text>
                ) : null}
              </Stack>
              <TextInput label="Alt text" name="alt" description="Describe the image for people who cannot see it." error={result?.mediaId ? undefined : errors.alt} />
              <Group>
                <Button type="submit" name="intent" value="upload" loading={busy}>
                  Upload
                </Button>
              </Group>
            </Stack>
          </Form>
        </Card>
      ) : null}
      {errors.form && !result?.mediaId ? <Alert color="red" role="alert">{errors.form}</Alert> : null}
      <Form method="get" role="search" aria-label="Search the library">
        <Group align="flex-end" gap="xs">
          <TextInput label="Search by file name or alt text" name="q" type="search" defaultValue={q} style={{ flex: 1 }} maw={420} />
          <Button type="submit" variant="default">
            Search
          </Button>
          {q ? (
            <Anchor component={Link} to="/app/series/media" size="sm">
              Show all
            </Anchor>
          ) : null}
        </Group>
      </Form>
      {images.length === 0 ? (
        <Text>{q ? `No image's file name or alt text contains “${q}”.` : firstPage ? 'No images yet.' : 'No more images.'}</Text>
      ) : (
        <SimpleGrid cols={{ base: 1, sm: 2, md: 3 }} component="ul" style={{ listStyle: 'none', padding: 0 }} aria-label="Images">
          {images.map((image) => {
            const mine = result?.mediaId === image.id
            return (
              <Card key={image.id} withBorder component="li" aria-label={image.fileName}>
                <Stack gap="xs">
                  <Image src={image.url} alt={image.alt} h={140} fit="contain" />
                  <Text size="sm" fw={500} style={{ overflowWrap: 'anywhere' }}>
                    {image.fileName}
                  </Text>
                  {mine && (errors.mediaId || errors.form) ? (
                    <Alert color="red" role="alert" p="xs">
                      {errors.mediaId ?? errors.form}
                    </Alert>
                  ) : null}
                  {canEdit ? (
                    <>
                      <Form method="post">
                        <CsrfInput />
                        <input type="hidden" name="mediaId" value={image.id} />
                        <Stack gap={4}>
                          <TextInput label={`Alt text of ${image.fileName}`} name="alt" defaultValue={image.alt} error={mine ? errors.alt : undefined} />
                          <Group gap="xs">
                            <Button type="submit" name="intent" value="alt" size="xs" variant="default">
                              Save alt text
                            </Button>
                          </Group>
                        </Stack>
                      </Form>
                      <Form method="post">
                        <CsrfInput />
                        <input type="hidden" name="mediaId" value={image.id} />
                        <Button type="submit" name="intent" value="delete" size="xs" variant="subtle" color="red" aria-label={`Delete ${image.fileName}`}>
                          Delete
                        </Button>
                      </Form>
                    </>
                  ) : (
                    <Text size="sm">{image.alt || <Text span c="dimmed">No alt text</Text>}</Text>
                  )}
                </Stack>
              </Card>
            )
          })}
        </SimpleGrid>
      )}
      {nextCursor || !firstPage ? (
        <Group component="nav" aria-label="Library pages" gap="md">
          {!firstPage ? (
            <Anchor component={Link} to={libraryHref('/app/series/media', { q })}>
              ← First page
            </Anchor>
          ) : null}
          {nextCursor ? (
            <Anchor component={Link} to={libraryHref('/app/series/media', { q, cursor: nextCursor })}>
              Next page →
            </Anchor>
          ) : null}
        </Group>
      ) : null}
    </Stack>
  )
}

export function ErrorBoundary() {
  return <GeneralErrorBoundary />
}
