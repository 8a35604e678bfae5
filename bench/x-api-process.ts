/**
 * The loopback X API server of test/servers/x-api.ts in a process of its own, for benchmarks: X is a
 * remote service, so its request handling must not share the event loop of the worker being measured.
 * The parent talks to it over IPC: it receives `ready` (url, client, user, one token family), asks
 * `{ count: true }` for the number of posts (answered as `{ posts }`) and sends `{ close: true }`.
 */
import { fork } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { startXApiServer, type XApiServer } from '../test/servers/x-api'

type Ready = Pick<XApiServer, 'url' | 'clientId' | 'clientSecret' | 'user'> & { tokens: ReturnType<XApiServer['issueTokens']> }

export type XApiProcess = Ready & { pid: number; postCount(): Promise<number>; close(): Promise<void> }

export async function startXApiProcess(): Promise<XApiProcess> {
  const child = fork(fileURLToPath(import.meta.url), ['--child'], { execArgv: ['--import', 'tsx'], stdio: 'inherit' })
  const ready = await new Promise<Ready>((resolve, reject) => {
    child.once('message', (message) => resolve(message as Ready))
    child.once('exit', (code) => reject(new Error(`the X API process exited (${code}) before it was ready`)))
  })
  return {
    ...ready,
    pid: child.pid!,
    postCount: () =>
      new Promise((resolve) => {
        child.once('message', (message) => resolve((message as { posts: number }).posts))
        child.send({ count: true })
      }),
    close: () =>
      new Promise((resolve) => {
        child.once('exit', () => resolve())
        child.send({ close: true })
      }),
  }
}

if (process.argv.includes('--child') && process.send) {
  const x = await startXApiServer()
  process.on('message', async (message: { count?: boolean; close?: boolean }) => {
    if (message.count) process.send!({ posts: x.posts.length })
    if (message.close) {
      await x.close()
      process.exit(0)
    }
  })
  process.send({ url: x.url, clientId: x.clientId, clientSecret: x.clientSecret, user: x.user, tokens: x.issueTokens({ accessTtlSeconds: 86_400 }) } satisfies Ready)
}
