import http from 'node:http'
import type { AddressInfo, Socket } from 'node:net'

/** One request as the loopback API servers read it: the URL, headers and whole body. */
export type LoopbackRequest = { method: string; url: URL; headers: http.IncomingHttpHeaders; body: Buffer; bearer: string | undefined }
/** An answer, or `'reset'` to destroy the connection instead of answering. */
export type LoopbackAnswer = { status: number; json?: unknown; headers?: Record<string, string>; raw?: string } | 'reset'

/**
 * An HTTP server on 127.0.0.1 for the loopback API servers of networks without a library-provided test
 * server (LinkedIn, Threads): it collects the body, runs `handle`, and on close ends every open connection.
 */
export async function startHttpBase(handle: (request: LoopbackRequest) => LoopbackAnswer | Promise<LoopbackAnswer>): Promise<{ url: string; close(): Promise<void> }> {
  const sockets = new Set<Socket>()
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const request: LoopbackRequest = {
        method: req.method ?? 'GET',
        url: new URL(req.url ?? '/', 'http://loopback'),
        headers: req.headers,
        body: Buffer.concat(chunks),
        bearer: /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1],
      }
      void Promise.resolve(handle(request)).then((answer) => {
        if (answer === 'reset') return void req.socket.destroy()
        if (answer.raw !== undefined) return void res.writeHead(answer.status, { 'content-type': 'text/html', ...answer.headers }).end(answer.raw)
        const body = answer.json === undefined ? '' : JSON.stringify(answer.json)
        res.writeHead(answer.status, { ...(body ? { 'content-type': 'application/json' } : {}), ...answer.headers }).end(body)
      })
    })
  })
  server.on('connection', (socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: async () => {
      for (const socket of sockets) socket.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

/** A form-encoded or JSON body, or the query string when there is no body. */
export function fieldsOf(request: LoopbackRequest): Record<string, string> {
  const text = request.body.toString('utf8')
  if ((request.headers['content-type'] ?? '').includes('json')) return JSON.parse(text || '{}') as Record<string, string>
  return { ...Object.fromEntries(request.url.searchParams), ...Object.fromEntries(new URLSearchParams(text)) }
}
