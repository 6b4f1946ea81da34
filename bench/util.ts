/**
 * Small helpers shared by the benchmark: statistics, a keep-alive HTTP client for the
 * orchestrator's own (sequential) requests, temp dirs and RSS readings.
 */
import http from 'node:http';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// --- statistics ---------------------------------------------------------------------------

export interface Summary {
  count: number;
  mean: number;
  p50: number;
  p90: number;
  p95: number;
  p99: number;
  max: number;
}

/** Nearest-rank percentiles of a list of milliseconds. */
export function summarize(values: ArrayLike<number>): Summary {
  const v = Float64Array.from(values).sort();
  const n = v.length;
  if (n === 0) return { count: 0, mean: NaN, p50: NaN, p90: NaN, p95: NaN, p99: NaN, max: NaN };
  const pct = (p: number) => v[Math.min(n - 1, Math.max(0, Math.ceil((p / 100) * n) - 1))];
  let sum = 0;
  for (let i = 0; i < n; i++) sum += v[i];
  return { count: n, mean: sum / n, p50: pct(50), p90: pct(90), p95: pct(95), p99: pct(99), max: v[n - 1] };
}

export const round = (x: number, digits = 2): number => (Number.isFinite(x) ? Number(x.toFixed(digits)) : x);
export const median = (xs: number[]): number => summarize(xs).p50;

// --- HTTP (orchestrator side: tokens, polling, sanity checks) --------------------------------

const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });

export interface HttpResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** One request on a kept-alive loopback connection; bounded by `timeoutMs`. */
export function request(
  url: string,
  method: string,
  opts: { headers?: Record<string, string>; body?: unknown; timeoutMs?: number } = {},
): Promise<HttpResponse> {
  const u = new URL(url);
  if (u.hostname !== '127.0.0.1') throw new Error(`the benchmark only talks to 127.0.0.1, not ${u.hostname}`);
  const payload = opts.body === undefined ? undefined : JSON.stringify(opts.body);
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: u.hostname,
        port: u.port,
        path: u.pathname + u.search,
        method,
        agent,
        headers: {
          ...(payload ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {}),
          ...opts.headers,
        },
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d) => {
          body += d;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.setTimeout(opts.timeoutMs ?? 10000, () => req.destroy(new Error(`${method} ${url}: timed out`)));
    req.on('error', reject);
    req.end(payload);
  });
}

export function closeHttp(): void {
  agent.destroy();
}

// --- temp dirs ---------------------------------------------------------------------------

const tempDirs = new Set<string>();

export function tempDir(label: string): string {
  const d = mkdtempSync(join(tmpdir(), `stratus-bench-${label}-`));
  tempDirs.add(d);
  return d;
}

export function removeTempDirs(): void {
  for (const d of tempDirs) {
    try {
      rmSync(d, { recursive: true, force: true });
    } catch {
      /* best effort */
    }
  }
  tempDirs.clear();
}

// --- memory ------------------------------------------------------------------------------

/** Resident set size of a process in MB, from /proc/<pid>/status (NaN when unavailable). */
export function rssMb(pid: number | undefined): number {
  if (!pid) return NaN;
  try {
    const m = readFileSync(`/proc/${pid}/status`, 'utf8').match(/^VmRSS:\s+(\d+)\s+kB/m);
    return m ? round(Number(m[1]) / 1024, 1) : NaN;
  } catch {
    return NaN;
  }
}

// --- CPU ---------------------------------------------------------------------------------

/** CPU time (user + system, ms) of every process on the machine, split into Stratus (`pids`), PostgreSQL's processes, and the rest. */
export interface CpuSplit {
  stratus: number;
  postgres: number;
  other: number;
}

const TICK_MS = 10; // USER_HZ is 100 on Linux

/**
 * A snapshot of CpuSplit from /proc. Each process counts its own time and that of its children
 * that ended (cutime, cstime): a process that ends between two snapshots moves its time to its
 * parent, and the difference stays right (a PostgreSQL backend to the postmaster, the load
 * generator to the bench, a worker to Stratus' primary).
 */
export function cpuSnapshot(stratusPids: number[]): CpuSplit {
  const mine = new Set(stratusPids);
  const split: CpuSplit = { stratus: 0, postgres: 0, other: 0 };
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${name}/stat`, 'utf8');
    } catch {
      continue;
    }
    // comm is in parentheses and may hold spaces: the fields after its closing one are fixed
    const close = stat.lastIndexOf(')');
    const comm = stat.slice(stat.indexOf('(') + 1, close);
    const fields = stat.slice(close + 2).split(' ');
    // utime, stime, cutime, cstime
    const ms = (Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14])) * TICK_MS;
    if (mine.has(Number(name))) split.stratus += ms;
    else if (comm === 'postgres') split.postgres += ms;
    else split.other += ms;
  }
  return split;
}

/** The CPU ms spent between two snapshots, per part. */
export function cpuSince(before: CpuSplit, after: CpuSplit): CpuSplit {
  return {
    stratus: after.stratus - before.stratus,
    postgres: after.postgres - before.postgres,
    other: after.other - before.other,
  };
}
