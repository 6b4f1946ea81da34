import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import Fastify from 'fastify';
import { closeApi } from './stack.js';

/**
 * A request still running when the close begins, whose answer a slow client reads late: the
 * close must neither cut the answer (a 50 ms sweep of "idle" connections did: Node counts a
 * connection idle once the answer is handed to the socket, not once it is sent) nor wait for
 * keep-alive to time out (plain close() kept the connection open, 72 s).
 */
test('closeApi: a running request is answered in full to a slow reader, then its connection closes', async () => {
  const size = 32 * 1024 * 1024;
  const app = Fastify({ return503OnClosing: false });
  app.get('/big', async (_req, reply) => {
    await new Promise((r) => setTimeout(r, 300)); // still running when the close begins
    reply.header('content-type', 'application/octet-stream');
    return Buffer.alloc(size, 97);
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = app.server.address() as net.AddressInfo;
  const sock = net.connect(port, '127.0.0.1');
  sock.write('GET /big HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n\r\n');
  let head: string | null = null;
  let buf = Buffer.alloc(0);
  let body = 0;
  sock.on('data', (d: Buffer) => {
    if (head !== null) {
      body += d.length;
      return;
    }
    buf = Buffer.concat([buf, d]);
    const i = buf.indexOf('\r\n\r\n');
    if (i < 0) return;
    head = buf.subarray(0, i).toString();
    body = buf.length - i - 4;
    sock.pause(); // a slow client
    setTimeout(() => sock.resume(), 1500);
  });
  const closedByServer = new Promise<void>((r) => sock.on('close', () => r()));
  await new Promise((r) => setTimeout(r, 100));
  let bound: NodeJS.Timeout | undefined;
  const outcome = await Promise.race([
    Promise.all([closeApi(app), closedByServer]).then(() => 'closed'),
    new Promise<string>((r) => {
      bound = setTimeout(() => r('still open after 20 s'), 20_000);
    }),
  ]);
  clearTimeout(bound);
  assert.equal(outcome, 'closed');
  assert.match(head ?? '', /^HTTP\/1\.1 200/);
  assert.equal(body, size, 'the whole answer');
});
