/**
 * A reader of Stratus' watch API (`GET /stratus/v1/events`) that reconnects: after a dropped
 * stream it comes back with `Last-Event-ID`, so the server replays what was missed or says
 * `resync`. The token stays in a header.
 */
import { ClientError } from './client-error.js';
import { causeOf, faultMessage } from './session.js';
import { SseParser, type SseEvent } from './sse.js';

export type StreamItem =
  | { kind: 'ready'; seq: number; first: boolean }
  | { kind: 'resync'; seq: number; reason: string }
  | { kind: 'event'; type: string; data: ServerEvent };

export interface ServerEvent {
  seq: number;
  type: string;
  server_id: string;
  server?: {
    id: string;
    status: string;
    task_state: string | null;
    fault?: { code?: number; message?: string } | null;
  };
}

export interface StreamOptions {
  url: string;
  token: string;
  query: Record<string, string>;
  signal: AbortSignal;
  /** A line for stderr (reconnects). */
  note?: (msg: string) => void;
}

class Dropped extends Error {}

/** Silence longer than this many heartbeats means a dead connection (a proxy that hangs). */
const MISSED_HEARTBEATS = 3;

export async function* watchEvents(o: StreamOptions): AsyncGenerator<StreamItem> {
  const url = new URL(o.url);
  for (const [k, v] of Object.entries(o.query)) url.searchParams.set(k, v);
  let lastEventId = '';
  let retryMs = 3000;
  let first = true;
  for (;;) {
    const conn = new AbortController();
    const signal = AbortSignal.any([o.signal, conn.signal]);
    let idle: NodeJS.Timeout | undefined;
    let idleMs = 0;
    const touch = () => {
      if (!idleMs) return;
      clearTimeout(idle);
      idle = setTimeout(() => conn.abort(new Dropped('no heartbeat')), idleMs);
    };
    try {
      let res: Response;
      try {
        res = await fetch(url, {
          headers: {
            'x-auth-token': o.token,
            accept: 'text/event-stream',
            ...(lastEventId ? { 'last-event-id': lastEventId } : {}),
          },
          signal,
        });
      } catch (err) {
        if (o.signal.aborted) throw err;
        throw new Dropped(causeOf(err));
      }
      if (res.status !== 200) {
        const text = await res.text().catch(() => '');
        let body: unknown = text;
        try {
          body = JSON.parse(text);
        } catch {
          /* not JSON: the text is the message */
        }
        const msg = `watch API ${url.origin}${url.pathname}: ${faultMessage(body, res.status)} (HTTP ${res.status})`;
        if (res.status >= 500) throw new Dropped(msg);
        throw new ClientError(res.status === 404 ? `${msg}: is this a Stratus with the watch API?` : msg, 1);
      }
      if (!res.body) throw new Dropped('no body');
      const pending: SseEvent[] = [];
      const parser = new SseParser({ event: (e) => pending.push(e), retry: (ms) => (retryMs = ms) }, lastEventId);
      const decoder = new TextDecoder();
      const reader = res.body.getReader();
      try {
        for (;;) {
          let chunk: ReadableStreamReadResult<Uint8Array>;
          try {
            chunk = await reader.read();
          } catch (err) {
            if (o.signal.aborted) throw err;
            throw conn.signal.aborted ? conn.signal.reason : new Dropped(causeOf(err));
          }
          if (chunk.done) throw new Dropped('the server closed the stream');
          touch();
          parser.push(decoder.decode(chunk.value, { stream: true }));
          while (pending.length) {
            const e = pending.shift()!;
            const item = interpret(e);
            if (item.kind === 'ready') {
              const hb = Number((JSON.parse(e.data) as { heartbeat_seconds?: unknown }).heartbeat_seconds);
              idleMs = Number.isFinite(hb) && hb > 0 ? hb * 1000 * MISSED_HEARTBEATS : 0;
              touch();
              yield { ...item, first };
              first = false;
              // Before any event, the position to resume from is the subscription's HEAD: without
              // it a reconnect would start afresh and miss what happened while disconnected.
              if (!lastEventId && Number.isInteger(item.seq)) lastEventId = String(item.seq);
            } else {
              yield item;
              // Only an event the caller has taken counts as seen for the next Last-Event-ID.
              if (item.kind === 'event' && e.lastEventId) lastEventId = e.lastEventId;
              // After a resync the caller has re-read the server: resume from that HEAD.
              if (item.kind === 'resync' && Number.isInteger(item.seq)) lastEventId = String(item.seq);
            }
          }
        }
      } finally {
        reader.cancel().catch(() => {});
      }
    } catch (err) {
      if (!(err instanceof Dropped)) throw err;
      o.note?.(`watch stream dropped (${err.message}); reconnecting in ${retryMs} ms`);
    } finally {
      clearTimeout(idle);
      conn.abort();
    }
    await pause(retryMs, o.signal);
  }
}

function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const stop = () => {
      clearTimeout(t);
      reject(signal.reason);
    };
    const t = setTimeout(() => {
      signal.removeEventListener('abort', stop);
      resolve();
    }, ms);
    signal.addEventListener('abort', stop, { once: true });
  });
}

function interpret(e: SseEvent): { kind: 'ready'; seq: number } | Exclude<StreamItem, { kind: 'ready' }> {
  let data: unknown;
  try {
    data = JSON.parse(e.data);
  } catch {
    throw new ClientError(`watch API: a ${e.type} event without JSON data: ${e.data.slice(0, 200)}`, 1);
  }
  const d = data as Record<string, unknown>;
  switch (e.type) {
    case 'ready':
      return { kind: 'ready', seq: Number(d.seq) };
    case 'resync':
      return { kind: 'resync', seq: Number(d.seq), reason: String(d.reason ?? '') };
    case 'error': {
      const err = (d.error ?? {}) as { code?: number; message?: string };
      throw new ClientError(
        `the watch stream ended: ${err.message ?? 'error'}${err.code ? ` (HTTP ${err.code})` : ''}`,
        1,
      );
    }
    default:
      return { kind: 'event', type: e.type, data: d as unknown as ServerEvent };
  }
}
