import { Button, Group, Image, Modal, SimpleGrid, Stack, Text, TextInput, UnstyledButton } from '@mantine/core'
import { Link, useFetcher } from '@remix-run/react'
import { useState } from 'react'

/** An image of the library as its loader sends it (core/media.server.ts StoredMedia). */
type LibraryImage = { id: string; fileName: string; url: string; alt: string }

/** The library's URL for a search and a page (the page's links and the picker's loads). */
export function libraryHref(path: string, args: { q?: string; cursor?: string | null }): string {
  const params = new URLSearchParams()
  if (args.q) params.set('q', args.q)
  if (args.cursor) params.set('cursor', args.cursor)
  const query = params.toString()
  return query ? `${path}?${query}` : path
}

/**
 * "Choose from library" (decision 098): a dialog with the workspace's uploaded images; picking one adds
 * it to the part with the alt text kept in the library (editable in the post like any other).
 */
export function MediaPicker(props: { label: string; disabled?: boolean; onPick: (image: { mediaId: string; alt: string }) => void }) {
  const [open, setOpen] = useState(false)
  const [q, setQ] = useState('')
  const [paging, setPaging] = useState<{ q: string; first: boolean }>({ q: '', first: true })
  const library = useFetcher<{ images: LibraryImage[]; nextCursor: string | null }>()
  const images = library.data?.images
  // The library page's loader serves the picker too: a search (file name or alt text) and pages by cursor.
  const load = (args: { q: string; cursor?: string | null }) => {
    setPaging({ q: args.q, first: !args.cursor })
    library.load(libraryHref('/app/series/media', args))
  }
  return (
    <>
      <Button
        size="compact-sm"
        variant="default"
        disabled={props.disabled}
        aria-label={`Choose an image from the library for ${props.label}`}
        onClick={() => {
          setOpen(true)
          load({ q })
        }}
      >
        Choose from library
      </Button>
      <Modal opened={open} onClose={() => setOpen(false)} title={`Choose an image for ${props.label}`} size="lg" closeButtonProps={{ 'aria-label': 'Close' }}>
        <Group align="flex-end" gap="xs" mb="sm" role="search" aria-label="Search the library">
          <TextInput
            label="Search by file name or alt text"
            type="search"
            value={q}
            style={{ flex: 1 }}
            onChange={(e) => setQ(e.currentTarget.value)}
            onKeyDown={(e) => {
              // Inside the editor's form: Enter searches here instead of submitting the series.
              if (e.key !== 'Enter') return
              e.preventDefault()
              load({ q })
            }}
          />
          <Button variant="default" onClick={() => load({ q })}>
            Search
          </Button>
        </Group>
        {!images ? (
          <Text size="sm">Loading the library…</Text>
        ) : images.length === 0 ? (
          <Text size="sm">
            {paging.q ? (
              `No image's file name or alt text contains “${paging.q}”.`
            ) : (
              <>
                No images yet: upload one here or in the <Link to="/app/series/media">media library</Link>.
              </>
            )}
          </Text>
        ) : (
          <SimpleGrid cols={{ base: 2, sm: 3 }} spacing="sm">
            {images.map((image) => (
              <UnstyledButton
                key={image.id}
                aria-label={`Use ${image.fileName}${image.alt ? ` (${image.alt})` : ''}`}
                onClick={() => {
                  props.onPick({ mediaId: image.id, alt: image.alt })
                  setOpen(false)
                }}
              >
                <Stack gap={2}>
                  <Image src={image.url} alt="" h={96} fit="cover" radius="sm" />
                  <Text size="xs" style={{ overflowWrap: 'anywhere' }}>
                    {image.fileName}
                  </Text>
                </Stack>
              </UnstyledButton>
            ))}
          </SimpleGrid>
        )}
        {library.data && (library.data.nextCursor || !paging.first) ? (
          <Group gap="xs" mt="sm" role="navigation" aria-label="Library pages">
            {!paging.first ? (
              <Button size="compact-sm" variant="subtle" onClick={() => load({ q: paging.q })}>
                ← First page
              </Button>
            ) : null}
            {library.data.nextCursor ? (
              <Button size="compact-sm" variant="subtle" onClick={() => load({ q: paging.q, cursor: library.data!.nextCursor })}>
                Next page →
              </Button>
            ) : null}
          </Group>
        ) : null}
      </Modal>
    </>
  )
}
