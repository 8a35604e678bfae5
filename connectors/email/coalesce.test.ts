import net from 'node:net'
import { once } from 'node:events'
import { coalesceWrites } from './index'

// nodemailer writes a message in many small chunks; the connector's sockets hold one event-loop turn's
// writes and send them together (decision 110), bytes and order unchanged.
it('sends the writes of one event-loop turn together, in order', async () => {
  const server = net.createServer()
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const accepted = once(server, 'connection') as Promise<[net.Socket]>
  const socket = coalesceWrites(net.connect((server.address() as net.AddressInfo).port, '127.0.0.1'))
  await once(socket, 'connect')
  const [peer] = await accepted
  let received = ''
  peer.on('data', (chunk: Buffer) => (received += chunk.toString()))
  for (const part of ['MAIL FROM:<a@b.c>\r\n', 'RCPT TO:<d@e.f>\r\n', 'DATA\r\n']) socket.write(part)
  // Held until the turn's end: nothing went out one chunk at a time.
  expect(socket.writableCorked).toBe(1)
  expect(socket.writableLength).toBe(42)
  await new Promise((resolve) => setImmediate(resolve))
  expect(socket.writableCorked).toBe(0)
  socket.write('.\r\n')
  socket.end()
  await once(peer, 'end')
  expect(received).toBe('MAIL FROM:<a@b.c>\r\nRCPT TO:<d@e.f>\r\nDATA\r\n.\r\n')
  server.close()
})
