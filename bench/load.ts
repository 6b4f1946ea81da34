/**
 * The load generator: autocannon, always in its own child process (never in the process that
 * spawned the servers, never in a server). `runLoad()` forks this file, sends it a LoadSpec
 * over IPC and gets a LoadResult back.
 *
 * Latencies come from autocannon's per-response `response` event (float milliseconds), not its
 * integer-millisecond histogram, so sub-millisecond requests are measured properly. Only 2xx
 * responses inside the measurement window count towards throughput and latency.
 */
import { fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath, pathToFileURL } from 'node:url';
import autocannon from 'autocannon';
import { summarize, type Summary } from './util.js';

export interface LoadSpec {
  /** Base URL, e.g. http://127.0.0.1:8774 (loopback only). */
  url: string;
  method: 'GET' | 'DELETE';
  headers?: Record<string, string>;
  connections: number;
  /** Hard cap on the measurement window. */
  durationSec: number;
  /** One path per request, each used once (e.g. a distinct server per DELETE); the run also ends when they are used up. */
  paths?: string[];
  /** Or: DELETE /v2.1/servers/<random uuid> (the baseline: same request shape, nothing to run out of). */
  randomServerIds?: boolean;
  /** Otherwise: the same path for every request. */
  path?: string;
}

export interface LoadResult {
  connections: number;
  /** 2xx responses inside the window. */
  ok: number;
  non2xx: number;
  errors: number;
  statuses: Record<string, number>;
  elapsedMs: number;
  /** 2xx responses per second. */
  rps: number;
  /** Latency of the 2xx responses, ms. */
  latency: Summary;
  /** True when `paths` ran out before the window closed. */
  exhausted: boolean;
}

const SELF = fileURLToPath(import.meta.url);

/** Runs one load in a fresh child process; rejects if the child misbehaves or overruns. */
export function runLoad(spec: LoadSpec): Promise<LoadResult> {
  if (new URL(spec.url).hostname !== '127.0.0.1') throw new Error('load targets 127.0.0.1 only');
  return new Promise((resolve, reject) => {
    const child = fork(SELF, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv: [] });
    const guard = setTimeout(
      () => {
        child.kill('SIGKILL');
        reject(new Error('load generator overran its time limit'));
      },
      (spec.durationSec + 30) * 1000,
    );
    let result: LoadResult | undefined;
    child.once('message', (m) => {
      result = m as LoadResult;
    });
    child.once('error', (err) => {
      clearTimeout(guard);
      reject(err);
    });
    child.once('exit', (code) => {
      clearTimeout(guard);
      if (result) resolve(result);
      else reject(new Error(`load generator exited (${code}) without a result`));
    });
    child.send(spec);
  });
}

/** Child side: one autocannon run. Resolves when the window closes or the paths are used up. */
async function generate(spec: LoadSpec): Promise<LoadResult> {
  const paths = spec.paths;
  let next = 0;
  let exhausted = false;
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  let ok = 0,
    non2xx = 0,
    errors = 0;
  const started = performance.now();
  let windowEnd = Infinity;
  let lastResponse = started;

  const sentinel = '/v2.1/servers/00000000-0000-0000-0000-000000000000';
  const setupRequest = paths
    ? (req: { path?: string }) => {
        if (next < paths.length) req.path = paths[next++];
        else {
          exhausted = true;
          req.path = sentinel;
        }
        return req;
      }
    : spec.randomServerIds
      ? (req: { path?: string }) => {
          req.path = `/v2.1/servers/${randomUUID()}`;
          return req;
        }
      : undefined;
  const requests = [{ method: spec.method, path: spec.path ?? '/', ...(setupRequest ? { setupRequest } : {}) }];
  // autocannon pre-builds one request per connection; keep a margin so no path is reused.
  const amount = paths ? paths.length - spec.connections : undefined;
  if (amount !== undefined && amount < spec.connections)
    throw new Error(`need at least ${2 * spec.connections} paths for ${spec.connections} connections`);

  return new Promise((resolve, reject) => {
    let settled = false;
    const finish = () => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      const elapsedMs = Math.min(windowEnd, lastResponse) - started;
      resolve({
        connections: spec.connections,
        ok,
        non2xx,
        errors,
        statuses,
        elapsedMs,
        rps: ok / (elapsedMs / 1000),
        latency: summarize(latencies),
        exhausted,
      });
    };
    const instance = autocannon(
      {
        url: spec.url,
        connections: spec.connections,
        pipelining: 1,
        timeout: 30,
        headers: spec.headers,
        requests,
        ...(amount !== undefined ? { amount } : { duration: spec.durationSec + 5 }),
      },
      (err) => {
        if (err && !settled) {
          settled = true;
          clearTimeout(timer);
          reject(err);
        } else finish();
      },
    );
    instance.on('response', (_client: unknown, status: number, _bytes: number, ms: number) => {
      const now = performance.now();
      if (now > windowEnd) return;
      lastResponse = now;
      statuses[status] = (statuses[status] ?? 0) + 1;
      if (status >= 200 && status < 300) {
        ok++;
        latencies.push(ms);
      } else non2xx++;
    });
    instance.on('reqError', () => {
      if (performance.now() <= windowEnd) errors++;
    });
    // The window closes here; the child exits right after reporting (autocannon would wait for its next tick).
    const timer = setTimeout(() => {
      windowEnd = performance.now();
      instance.stop();
      finish();
    }, spec.durationSec * 1000);
  });
}

if (process.argv[1] && pathToFileURL(process.argv[1]).href === import.meta.url && process.send) {
  // The orchestrator went away (crash, Ctrl-C): stop loading at once.
  process.once('disconnect', () => process.exit(0));
  process.once('message', (spec) => {
    generate(spec as LoadSpec).then(
      (r) => process.send!(r, () => process.exit(0)),
      (err: Error) => {
        process.stderr.write(`load: ${err.stack ?? err.message}\n`);
        process.exit(1);
      },
    );
  });
}
