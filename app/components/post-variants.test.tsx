import { MantineProvider } from '@mantine/core'
import { renderToStaticMarkup } from 'react-dom/server'
import { createMemoryRouter, RouterProvider } from 'react-router-dom'
import { PostVariants } from './post-variants'

/**
 * The variant tab's upload button (issue 20, decision 107): a custom variant offers "Add an image to …"
 * like the main post (the same upload route, app/components/image-upload.tsx) beside "Choose from library".
 */
describe('PostVariants', () => {
  // The library picker fetches through the router (useFetcher): a memory data router stands in for Remix's.
  const render = (csrf?: string) => {
    const element = (
      <MantineProvider>
        <PostVariants
          index={0}
          post={{ parts: [{ text: 'Main', images: [] }], variants: { x: { parts: [{ text: 'Short for X', images: [] }] } } }}
          networks={[
            { kind: 'x', name: 'X' },
            { kind: 'mastodon', name: 'Mastodon' },
          ]}
          counters={{}}
          errors={{}}
          csrf={csrf}
          onChange={() => undefined}
        />
      </MantineProvider>
    )
    return renderToStaticMarkup(<RouterProvider router={createMemoryRouter([{ path: '/', element }])} />)
  }

  it('offers an upload button in a custom variant, labelled with the post and network', () => {
    const html = render('token')
    expect(html).toMatch(/<label[^>]*>Add an image to post 1, X variant <input type="file" accept="image\/jpeg,image\/png,image\/gif,image\/webp,video\/mp4,video\/quicktime"/)
    expect(html).toContain('Choose from library')
    // The network that uses the main text has no upload of its own.
    expect(html).not.toContain('Add an image to post 1, Mastodon variant')
  })

  it('has no upload button without the CSRF token the upload route needs', () => {
    expect(render()).not.toContain('Add an image to post 1, X variant')
  })
})
