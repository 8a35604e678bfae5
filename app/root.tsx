import { ColorSchemeScript, MantineProvider, createTheme } from '@mantine/core'
import mantineStyles from '@mantine/core/styles.css'
import type { LinksFunction, MetaFunction } from '@remix-run/node'
import { Links, Meta, Outlet, Scripts, ScrollRestoration } from '@remix-run/react'
import { GeneralErrorBoundary } from './components/error-boundary'

export const links: LinksFunction = () => [{ rel: 'stylesheet', href: mantineStyles }]

export const meta: MetaFunction = () => [{ title: 'Trickle' }, { name: 'description', content: 'Drip scheduler for content teams' }]

const theme = createTheme({ primaryColor: 'teal', defaultRadius: 'md' })

export function Layout({ children }: { children: React.ReactNode }) {
  return (
    <html lang="en">
      <head>
        <meta charSet="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <Meta />
        <Links />
        <ColorSchemeScript />
      </head>
      <body>
        <MantineProvider theme={theme}>{children}</MantineProvider>
        <ScrollRestoration />
        <Scripts />
      </body>
    </html>
  )
}

export default function App() {
  return <Outlet />
}

export function ErrorBoundary() {
  return <GeneralErrorBoundary />
}
