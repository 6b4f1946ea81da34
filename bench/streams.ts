/**
 * Idle watch streams (`GET /stratus/v1/events`) held open in a child process of their own, so
 * that neither the orchestrator nor the load generator pays for them. `openStreams()` forks this
 * file; the child opens the streams, reports how many reached `ready`, holds them until told
 * to stop (or its own time limit), then reports what they received and exits.
 */
import { fork, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import { fileURLToPath, pathToFileURL } from 'node:url';

export interface StreamsSpec {
  /** Base URL (loopback only). */
  url: string;
  count: number;
  /** Round-robin: each stream takes the next (token, query). */
  as: Array<{ token: string; query: Record<string, string> }>;
  /** Streams being opened at once (the listen backlog is finite). */
  openConcurrency: number;
  /** The child stops by itself after this long, whatever happens. */
  maxSec: number;
}

export interface StreamsOpened {
  requested: number;
  /** Streams that answered 200 and sent `ready`. */
  connected: number;
  failed: number;
  /** A few failure reasons, for the log. */
  reasons: string[];
  openMs: number;
}

export interface StreamsClosed {
  /** Streams still open when told to stop. */
  stillOpen: number;
  /** Server events (frames with an id) received while held: idle streams should see none. */
  events: number;
  heartbeats: number;
}

export interface StreamsHandle {
  opened: StreamsOpened;
  stop(): Promise<StreamsClosed>;
}

const SELF = fileURLToPath(import.meta.url);

export function openStreams(spec: StreamsSpec): Promise<StreamsHandle> {
  if (new URL(spec.url).hostname !== '127.0.0.1') throw new Error('streams target 127.0.0.1 only');
  return new Promise((resolve, reject) => {
    const child: ChildProcess = fork(SELF, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv: [] });
    const guard = setTimeout(() => child.kill('SIGKILL'), (spec.maxSec + 30) * 1000);
    guard.unref();
    let closed: ((c: StreamsClosed) => void) | undefined;
    let exited = false;
    const exit = new Promise<void>((r) => child.once('exit', () => r()));
    void exit.then(() => {
      exited = true;
      clearTimeout(guard);
    });
    child.on('message', (m: { opened?: StreamsOpened; closed?: StreamsClosed }) => {
      if (m.opened)
        resolve({
          opened: m.opened,
          stop: async () => {
            if (exited) return { stillOpen: 0, events: NaN, heartbeats: NaN };
            const c = new Promise<StreamsClosed>((r) => {
              closed = r;
            });
            child.send('stop');
            const r = await Promise.race([c, exit.then(() => ({ stillOpen: 0, events: NaN, heartbeats: NaN }))]);
            await exit;
            return r;
          },
        });
      if (m.closed) closed?.(m.closed);
    });
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`stream holder exited (${code}) before opening its streams`)));
    child.send(spec);
  });
}

/** Child side. */
async function hold(spec: StreamsSpec): Promise<void> {
  const agent = new http.Agent({ keepAlive: false, maxSockets: Infinity });
  const u = new URL(spec.url);
  const requests = new Set<http.ClientRequest>();
  let open = 0,
    events = 0,
    heartbeats = 0;
  const reasons: string[] = [];
  const one = (i: number) =>
    new Promise<boolean>((resolve) => {
      const who = spec.as[i % spec.as.length];
      const qs = new URLSearchParams(who.query).toString();
      let settled = false;
      const done = (ok: boolean, why?: string) => {
        if (settled) return;
        settled = true;
        if (!ok && why && reasons.length < 5) reasons.push(why);
        resolve(ok);
      };
      const req = http.get(
        {
          host: u.hostname,
          port: u.port,
          path: `/stratus/v1/events${qs ? `?${qs}` : ''}`,
          agent,
          headers: { 'x-auth-token': who.token, accept: 'text/event-stream' },
        },
        (res) => {
          if (res.statusCode !== 200) {
            done(false, `HTTP ${res.statusCode}`);
            res.resume();
            return;
          }
          res.setEncoding('utf8');
          let seenReady = false;
          let tail = '';
          res.on('data', (d: string) => {
            // Counting frames without a full parser: `id:` lines are events, `: heartbeat` comments.
            const text = tail + d;
            const lines = text.split('\n');
            tail = lines.pop() ?? '';
            for (const l of lines) {
              if (l.startsWith('event: ready')) {
                seenReady = true;
                open++;
                done(true);
              } else if (l.startsWith('id:') && seenReady) events++;
              else if (l.startsWith(': heartbeat')) heartbeats++;
            }
          });
          res.on('close', () => {
            if (seenReady) open--;
            done(false, 'closed before ready');
          });
        },
      );
      req.setTimeout(30000, () => {
        if (!settled) req.destroy(new Error('no ready in 30 s'));
      });
      req.on('error', (err) => done(false, err.message));
      requests.add(req);
    });

  const started = performance.now();
  let next = 0,
    connected = 0,
    failed = 0;
  await Promise.all(
    Array.from({ length: Math.min(spec.openConcurrency, spec.count) }, async () => {
      while (next < spec.count) {
        if (await one(next++)) connected++;
        else failed++;
      }
    }),
  );
  const opened: StreamsOpened = {
    requested: spec.count,
    connected,
    failed,
    reasons,
    openMs: performance.now() - started,
  };
  events = 0; // count only what arrives while the streams are held
  process.send!({ opened });
  const stop = () => {
    const closed: StreamsClosed = { stillOpen: open, events, heartbeats };
    for (const r of requests) r.destroy();
    process.send!({ closed }, () => process.exit(0));
  };
  const limit = setTimeout(stop, spec.maxSec * 1000);
  process.once('message', () => {
    clearTimeout(limit);
    stop();
  });
}

if (process.argv[1] && pathToFileURL(process.argv[1]).href === import.meta.url && process.send) {
  // The orchestrator went away: drop every stream at once.
  process.once('disconnect', () => process.exit(0));
  process.once('message', (spec) => {
    hold(spec as StreamsSpec).catch((err: Error) => {
      process.stderr.write(`streams: ${err.stack ?? err.message}\n`);
      process.exit(1);
    });
  });
}
