/**
 * The dashboard's text/event-stream parser (dashboard/sse.js, a plain browser module with no
 * imports), run in Node: frames split anywhere across chunks, CRLF split in two, comments
 * (heartbeats), multi-line data, retry hints.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

interface Frame {
  event: string;
  data: string;
  id: string | null;
}
type Parser = (onFrame: (f: Frame) => void, onRetry: (ms: number) => void) => (chunk: string) => void;

async function loadParser(): Promise<Parser> {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'dashboard', 'sse.js'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('dashboard/sse.js not found');
    dir = up;
  }
  const mod = (await import(pathToFileURL(join(dir, 'dashboard', 'sse.js')).href)) as { createParser: Parser };
  return mod.createParser;
}

const STREAM =
  'retry: 3000\r\n\r\n' +
  'event: ready\r\ndata: {"seq": 4}\r\n\r\n' +
  ': heartbeat\r\n\r\n' +
  'id: 5\nevent: server.updated\ndata: {"a":\ndata: 1}\n\n' +
  'id: 6\revent: server.deleted\rdata: {"b": 2}\r\r\n'; // CR-only lines; the last CR waits for its LF

function parseIn(chunks: string[], createParser: Parser) {
  const frames: Frame[] = [];
  const retries: number[] = [];
  const feed = createParser(
    (f) => frames.push(f),
    (ms) => retries.push(ms),
  );
  for (const c of chunks) feed(c);
  return { frames, retries };
}

test('SSE parser: frames, ids, comments, multi-line data, retry; the same at every chunk split', async () => {
  const createParser = await loadParser();
  const whole = parseIn([STREAM], createParser);
  assert.deepEqual(whole.retries, [3000]);
  assert.deepEqual(whole.frames, [
    { event: 'ready', data: '{"seq": 4}', id: null },
    { event: 'server.updated', data: '{"a":\n1}', id: '5' },
    { event: 'server.deleted', data: '{"b": 2}', id: '6' },
  ]);
  for (let at = 1; at < STREAM.length; at++) {
    const split = parseIn([STREAM.slice(0, at), STREAM.slice(at)], createParser);
    assert.deepEqual(split, whole, `split at ${at} (${JSON.stringify(STREAM.slice(at - 2, at + 2))})`);
  }
  const bytewise = parseIn([...STREAM], createParser);
  assert.deepEqual(bytewise, whole);
});
