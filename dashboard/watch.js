// The watch stream (GET /stratus/v1/events) read with fetch(): EventSource cannot send the
// token in a header, and the token must never be in a URL.
import { authHeaders, endpoint, expire, faultMessage } from './api.js';
import { createParser } from './sse.js';

/**
 * Follows the stream until stop(): reconnects after `retry` ms with Last-Event-ID, and calls
 * onResync (re-list everything) on the first `ready`, on `resync`, and after a reconnect that
 * could not resume. onStatus gets 'connecting' | 'live' | 'unavailable' | 'reconnecting'.
 */
export function watch({ query, onEvent, onResync, onStatus }) {
  let lastId = null;
  let retry = 3000;
  let stopped = false;
  let controller = null;
  let timer = null;

  const connect = async () => {
    if (stopped) return;
    controller = new AbortController();
    onStatus(lastId === null ? 'connecting' : 'reconnecting');
    const headers = { ...authHeaders('stratus'), accept: 'text/event-stream' };
    if (lastId !== null) headers['last-event-id'] = lastId;
    let res;
    try {
      res = await fetch(`${endpoint('stratus')}/events${query}`, {
        headers,
        signal: controller.signal,
        credentials: 'omit',
        cache: 'no-store',
      });
    } catch {
      return again();
    }
    if (!res.ok) {
      const body = await res.json().catch(() => null);
      if (res.status === 401) return expire(faultMessage(401, body));
      // A server in trouble or going down (5xx, 429): try again, as after a dropped stream.
      if (res.status >= 500 || res.status === 429) return again();
      // No watch API (404) or a refusal: say so and stop; retrying would be polling.
      onStatus('unavailable', faultMessage(res.status, body));
      return;
    }
    const decoder = new TextDecoder();
    const feed = createParser(
      (f) => {
        if (f.id !== null) lastId = f.id;
        let data = null;
        try {
          data = f.data ? JSON.parse(f.data) : null;
        } catch {
          return;
        }
        if (f.event === 'ready') {
          onStatus('live');
          // First connection: list now (everything after `ready` is live). A resumed one replays.
          if (lastId === null) {
            lastId = String(data?.seq ?? 0);
            onResync();
          }
        } else if (f.event === 'resync') {
          lastId = String(data?.seq ?? 0);
          onResync();
        } else if (f.event === 'error') {
          stopped = true;
          expire(data?.error?.message ?? 'The session ended');
        } else if (f.event.startsWith('server.')) onEvent(data);
      },
      (ms) => {
        retry = ms;
      },
    );
    try {
      const reader = res.body.getReader();
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        feed(decoder.decode(value, { stream: true }));
      }
    } catch {
      /* dropped connection: reconnect below */
    }
    again();
  };
  const again = () => {
    if (stopped) return;
    onStatus('reconnecting');
    timer = setTimeout(connect, retry);
  };
  connect();
  return () => {
    stopped = true;
    clearTimeout(timer);
    controller?.abort();
  };
}
