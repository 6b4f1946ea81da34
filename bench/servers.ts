/**
 * The processes under test: `stratus serve` and the bare Fastify baseline, both spawned the
 * same way (same node binary and flags, STRATUS_LOG_LEVEL=warn, loopback, random port).
 * Every child is tracked and killed at the end, even when the benchmark fails.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { readFileSync } from 'node:fs';
import { request, round, rssMb } from './util.js';

const here = dirname(fileURLToPath(import.meta.url));
/** Compiled entry points (the benchmark runs from dist/bench). */
export const STRATUS_BIN = join(here, '..', 'src', 'bin', 'stratus.js');
export const BASELINE_BIN = join(here, 'baseline-server.js');

/** Node flags given to every server process (baseline and Stratus alike). */
export const NODE_FLAGS: string[] = [];

const children = new Set<ChildProcess>();

export interface ServerProcess {
  child: ChildProcess;
  pid: number;
  url: string;
  /** ms from spawn() to the banner line. */
  startMs: number;
  /** performance.now() at spawn (to time "spawn → first request"). */
  spawnedAt: number;
  output: () => string;
  rss: () => number;
}

/** Spawns `node [flags] script args…` and waits for a banner matching `banner` (group 1 = URL). */
export async function spawnServer(
  script: string,
  args: string[],
  opts: { banner: RegExp; env?: Record<string, string>; nodeFlags?: string[]; timeoutMs?: number },
): Promise<ServerProcess> {
  const spawnedAt = performance.now();
  const child = spawn(process.execPath, [...(opts.nodeFlags ?? NODE_FLAGS), script, ...args], {
    env: { ...process.env, STRATUS_LOG_LEVEL: 'warn', ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  child.once('exit', () => children.delete(child));
  let out = '';
  const onData = (d: Buffer) => {
    out = (out + d.toString()).slice(-20000);
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const timeoutMs = opts.timeoutMs ?? 60000;
  try {
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`${script} did not start in ${timeoutMs} ms:\n${out}`)),
        timeoutMs,
      );
      const check = () => {
        const m = out.match(opts.banner);
        if (m) {
          clearTimeout(timer);
          child.stdout!.off('data', check);
          resolve(m[1]);
        }
      };
      child.stdout!.on('data', check);
      child.once('exit', (code, sig) => {
        clearTimeout(timer);
        reject(new Error(`${script} exited (${code ?? sig}) before its banner:\n${out}`));
      });
    });
    const startMs = performance.now() - spawnedAt;
    return { child, pid: child.pid!, url, startMs, spawnedAt, output: () => out, rss: () => rssMb(child.pid) };
  } catch (err) {
    await stopServer(child);
    throw err;
  }
}

export interface StratusOptions {
  data: string;
  database?: string;
  name?: string;
  nodeFlags?: string[];
  extraArgs?: string[];
  /** API worker processes (`serve --workers`; default 1, also on PostgreSQL, whose own default is every core). */
  workers?: number;
}

export function startStratus(o: StratusOptions): Promise<ServerProcess> {
  const args = [
    'serve',
    '--port',
    '0',
    '--data',
    o.data,
    '--name',
    o.name ?? 'bench-node',
    ...(o.database ? ['--database', o.database] : []),
    '--workers',
    String(o.workers ?? 1),
    ...(o.extraArgs ?? []),
  ];
  const started = spawnServer(STRATUS_BIN, args, {
    banner: /Stratus is up at (http:\/\/127\.0\.0\.1:\d+)/,
    nodeFlags: o.nodeFlags,
    timeoutMs: 180000,
  });
  if ((o.workers ?? 1) === 1) return started;
  // With workers, the RSS of the primary and its workers together.
  return started.then((s) => ({
    ...s,
    rss: () =>
      round(
        [s.pid, ...childPids(s.pid)].reduce((n, pid) => n + rssMb(pid), 0),
        1,
      ),
  }));
}

/** The direct children of `pid` (the API workers of a `serve --workers N`). */
export function childPids(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

export function startBaseline(): Promise<ServerProcess> {
  return spawnServer(BASELINE_BIN, ['--port', '0'], { banner: /Baseline is up at (http:\/\/127\.0\.0\.1:\d+)/ });
}

/** SIGTERM, then SIGKILL after `graceMs`. */
export async function stopServer(child: ChildProcess, graceMs = 15000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

/** Stops every server still running (used in `finally` and on signals). */
export async function stopAll(): Promise<void> {
  await Promise.allSettled([...children].map((c) => stopServer(c, 5000)));
}

/** Last resort at process exit: no child outlives the benchmark. */
export function killAllSync(): void {
  for (const c of children) {
    try {
      c.kill('SIGKILL');
    } catch {
      /* already gone */
    }
  }
}

// --- Stratus API bits the orchestrator needs -----------------------------------------------

/** A project-scoped token for `user` in `project` (demo cloud password `secret`). */
export async function issueToken(url: string, user = 'demo', project = 'demo'): Promise<string> {
  const r = await request(`${url}/identity/v3/auth/tokens?nocatalog`, 'POST', {
    body: {
      auth: {
        identity: {
          methods: ['password'],
          password: {
            user: { name: user, domain: { name: 'Default' }, password: process.env.STRATUS_PASSWORD || 'secret' },
          },
        },
        scope: { project: { name: project, domain: { name: 'Default' } } },
      },
    },
  });
  const token = r.headers['x-subject-token'];
  if (r.status !== 201 || typeof token !== 'string')
    throw new Error(`token request failed: ${r.status} ${r.body.slice(0, 300)}`);
  return token;
}
