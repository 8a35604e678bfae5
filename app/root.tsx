import { ColorSchemeScript, MantineProvider, createTheme, type CSSVariablesResolver } from '@mantine/core'
import mantineStyles from '@mantine/core/styles.css'
import { Notifications } from '@mantine/notifications'
import notificationStyles from '@mantine/notifications/styles.css'
import chartStyles from '@mantine/charts/styles.css'
import { data, type LinksFunction, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node'
import { Links, Meta, Outlet, Scripts, ScrollRestoration, useLoaderData } from '@remix-run/react'
import { GeneralErrorBoundary } from './components/error-boundary'
import { useToast } from './components/toasts'
import { useNonce } from './utils/nonce'
import { readToast } from './utils/toast.server'

export const links: LinksFunction = () => [
  { rel: 'stylesheet', href: mantineStyles },
  { rel: 'stylesheet', href: notificationStyles },
  { rel: 'stylesheet', href: chartStyles },
  { rel: 'icon', href: '/favicon.svg', type: 'image/svg+xml' },
  { rel: 'icon', href: '/favicon.ico', sizes: '32x32' },
]

/** A one-time toast left by the previous request's redirect (app/utils/toast.server.ts). */
export async function loader({ request, context }: LoaderFunctionArgs) {
  const { toast, headers } = await readToast(request, context.services)
  return data({ toast }, { headers })
}

export const meta: MetaFunction = () => [{ title: 'Trickle' }, { name: 'description', content: 'Drip scheduler for content teams' }]

// Shade 9 of teal and gray 7 for dimmed text keep text at WCAG AA contrast (4.5:1) on white; Mantine's
// defaults (teal 6, gray 6) are below it. test/e2e/axe.test.ts checks every page.
const theme = createTheme({ primaryColor: 'teal', primaryShade: { light: 9, dark: 4 }, defaultRadius: 'md' })
// Text on the tinted ("light") backgrounds of badges, alerts and buttons needs darker shades than Mantine's.
const LIGHT_TEXT: Record<string, string> = { teal: '#06664a', green: '#1e6b32', yellow: '#7c4a03', orange: '#9a3412', red: '#a61e1e', blue: '#1864ab', gray: '#495057', cyan: '#0b5f6e', grape: '#7b2a8c', violet: '#5f3dc4', indigo: '#364fc7', pink: '#a61e4d' }
const cssVariablesResolver: CSSVariablesResolver = () => ({
  variables: {},
  light: {
    '--mantine-color-dimmed': 'var(--mantine-color-gray-7)',
    '--mantine-color-error': '#c92a2a',
    ...Object.fromEntries(Object.entries(LIGHT_TEXT).map(([color, text]) => [`--mantine-color-${color}-light-color`, text])),
  },
  dark: {},
})

export function Layout({ children }: { children: React.ReactNode }) {
  const nonce = useNonce()
  return (
    <html lang="en">
      <head>
        <meta charSet="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <Meta />
        <Links />
        <ColorSchemeScript nonce={nonce} />
      </head>
      <body>
        <MantineProvider theme={theme} cssVariablesResolver={cssVariablesResolver}>
          <Notifications position="top-right" zIndex={1000} />
          {children}
        </MantineProvider>
        <ScrollRestoration nonce={nonce} />
        <Scripts nonce={nonce} />
      </body>
    </html>
  )
}

export default function App() {
  const { toast } = useLoaderData<typeof loader>()
  useToast(toast)
  return <Outlet />
}

export function ErrorBoundary() {
  return <GeneralErrorBoundary />
}
