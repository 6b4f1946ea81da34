import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SseParser, type SseEvent } from './sse.js';

function parse(chunks: string[], lastEventId = '') {
  const events: SseEvent[] = [];
  const comments: string[] = [];
  const retries: number[] = [];
  const p = new SseParser(
    { event: (e) => events.push(e), comment: (c) => comments.push(c), retry: (ms) => retries.push(ms) },
    lastEventId,
  );
  for (const c of chunks) p.push(c);
  return { events, comments, retries, lastEventId: p.lastEventId };
}

const STREAM =
  'retry: 3000\n\nevent: ready\ndata: {"seq": 7}\n\n: heartbeat\n\nid: 8\nevent: server.updated\ndata: {"seq": 8}\n\n';

test('a Stratus stream: retry, ready, a comment, an event with its id', () => {
  const r = parse([STREAM]);
  assert.deepEqual(r.retries, [3000]);
  assert.deepEqual(r.comments, ['heartbeat']);
  assert.deepEqual(r.events, [
    { type: 'ready', data: '{"seq": 7}', lastEventId: '' },
    { type: 'server.updated', data: '{"seq": 8}', lastEventId: '8' },
  ]);
});

test('every split into chunks gives the same events', () => {
  const whole = parse([STREAM]);
  for (let i = 0; i <= STREAM.length; i++) {
    for (let j = i; j <= STREAM.length; j += 7) {
      const r = parse([STREAM.slice(0, i), STREAM.slice(i, j), STREAM.slice(j)]);
      assert.deepEqual(r, whole, `split at ${i}, ${j}`);
    }
  }
});

test('CRLF and lone CR end lines too, also when a CRLF is split across chunks', () => {
  const crlf = STREAM.replaceAll('\n', '\r\n');
  const cr = STREAM.replaceAll('\n', '\r');
  const whole = parse([STREAM]);
  assert.deepEqual(parse([crlf]), whole);
  assert.deepEqual(parse([cr]), whole);
  for (let i = 0; i <= crlf.length; i++) assert.deepEqual(parse([crlf.slice(0, i), crlf.slice(i)]), whole, `at ${i}`);
  for (let i = 0; i <= cr.length; i++) assert.deepEqual(parse([cr.slice(0, i), cr.slice(i)]), whole, `at ${i}`);
  // CR then CR is two line ends (a blank line): the event is dispatched.
  assert.deepEqual(parse(['data: a\r', '\r']).events, [{ type: 'message', data: 'a', lastEventId: '' }]);
});

test('multi-line data joins with LF; one leading space is stripped, not two', () => {
  const r = parse(['data: line one\ndata:line two\ndata:  indented\ndata\n\n']);
  assert.equal(r.events[0].data, 'line one\nline two\n indented\n');
});

test('no dispatch without data; an event type without data is dropped; unknown fields are ignored', () => {
  const r = parse(['event: lonely\n\nfoo: bar\nid: 3\n\ndata: x\n\n']);
  assert.deepEqual(r.events, [{ type: 'message', data: 'x', lastEventId: '3' }]);
});

test('an unterminated last event is not dispatched', () => {
  assert.deepEqual(parse(['data: half']).events, []);
  assert.deepEqual(parse(['data: half\n']).events, []);
});

test('a leading BOM is skipped; an id with NUL is ignored; retry must be digits; colon-less comment', () => {
  const r = parse(['\uFEFFid: 5\ndata: a\n\nid: 6\0\nretry: 1e3\nretry: 250\n:x\ndata: b\n\n'], '1');
  assert.deepEqual(
    r.events.map((e) => [e.data, e.lastEventId]),
    [
      ['a', '5'],
      ['b', '5'],
    ],
  );
  assert.deepEqual(r.retries, [250]);
  assert.deepEqual(r.comments, ['x']);
});

test('the id carries over to later events and starts from the given Last-Event-ID', () => {
  const r = parse(['data: a\n\nid: 9\ndata: b\n\ndata: c\n\n'], '4');
  assert.deepEqual(
    r.events.map((e) => e.lastEventId),
    ['4', '9', '9'],
  );
});
