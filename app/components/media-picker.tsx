import { Button, Image, Modal, SimpleGrid, Stack, Text, UnstyledButton } from '@mantine/core'
import { Link, useFetcher } from '@remix-run/react'
import { useState } from 'react'

/** An image of the library as its loader sends it (core/media.server.ts StoredMedia). */
type LibraryImage = { id: string; fileName: string; url: string; alt: string }

/**
 * "Choose from library" (decision 098): a dialog with the workspace's uploaded images; picking one adds
 * it to the part with the alt text kept in the library (editable in the post like any other).
 */
export function MediaPicker(props: { label: string; disabled?: boolean; onPick: (image: { mediaId: string; alt: string }) => void }) {
  const [open, setOpen] = useState(false)
  const library = useFetcher<{ images: LibraryImage[] }>()
  const images = library.data?.images
  return (
    <>
      <Button
        size="compact-sm"
        variant="default"
        disabled={props.disabled}
        aria-label={`Choose an image from the library for ${props.label}`}
        onClick={() => {
          setOpen(true)
          library.load('/app/series/media')
        }}
      >
        Choose from library
      </Button>
      <Modal opened={open} onClose={() => setOpen(false)} title={`Choose an image for ${props.label}`} size="lg" closeButtonProps={{ 'aria-label': 'Close' }}>
        {!images ? (
          <Text size="sm">Loading the library…</Text>
        ) : images.length === 0 ? (
          <Text size="sm">
            No images yet: upload one here or in the <Link to="/app/series/media">media library</Link>.
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
      </Modal>
    </>
  )
}
