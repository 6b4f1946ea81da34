import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

/** The compiled CLI (tests run from dist/). */
export const STRATUS_BIN = join(dirname(fileURLToPath(import.meta.url)), '..', 'bin', 'stratus.js');

export interface StratusProcess {
  child: ChildProcess;
  url: string;
  output: () => string;
}

/** Starts `stratus serve` as a child process on a random loopback port and waits for its banner. */
export async function spawnStratus(
  args: string[],
  env: Record<string, string> = {},
  timeoutMs = 30000,
): Promise<StratusProcess> {
  return spawnCommand(
    ['serve', '--port', '0', ...args],
    /Stratus is up at (http:\/\/127\.0\.0\.1:\d+)/,
    env,
    timeoutMs,
  );
}

export interface FreshStratus extends StratusProcess {
  /** The `--data` directory, made for this server and removed by stop(). */
  dataDir: string;
  /** Stops the server (SIGTERM, SIGKILL after 10 s) and removes its data directory. */
  stop: () => Promise<void>;
}

/**
 * `stratus serve --data <a new temporary directory> ...args`: a server of its own with a fresh
 * demo cloud (and the clouds.yaml it writes there), for suites that start one and drop it after.
 */
export async function spawnFreshStratus(
  prefix: string,
  args: string[] = [],
  env: Record<string, string> = {},
): Promise<FreshStratus> {
  const dataDir = mkdtempSync(join(tmpdir(), `stratus-${prefix}-`));
  const remove = () => rmSync(dataDir, { recursive: true, force: true });
  let proc: StratusProcess;
  try {
    proc = await spawnStratus(['--data', dataDir, ...args], env);
  } catch (err) {
    remove();
    throw err;
  }
  return {
    ...proc,
    dataDir,
    stop: async () => {
      await stopProcess(proc.child);
      remove();
    },
  };
}

/** Starts `stratus agent` (a compute node process) and waits until it is up. */
export async function spawnAgent(
  args: string[],
  env: Record<string, string> = {},
  timeoutMs = 30000,
): Promise<StratusProcess> {
  return spawnCommand(['agent', ...args], /Stratus agent (\S+) is up/, env, timeoutMs);
}

async function spawnCommand(
  argv: string[],
  banner: RegExp,
  env: Record<string, string>,
  timeoutMs: number,
): Promise<StratusProcess> {
  const child = spawn(process.execPath, [STRATUS_BIN, ...argv], {
    // One process unless a test asks for more (`--workers`): PostgreSQL's default is every core.
    env: { ...process.env, STRATUS_LOG_LEVEL: 'warn', STRATUS_WORKERS: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d) => {
    out += d;
  });
  child.stderr!.on('data', (d) => {
    out += d;
  });
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL'); // a server that never came up is nobody's to stop later
      reject(new Error(`stratus did not start in ${timeoutMs} ms:\n${out}`));
    }, timeoutMs);
    const check = () => {
      const m = out.match(banner);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    };
    child.stdout!.on('data', check);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`stratus exited (${code}):\n${out}`));
    });
  });
  return { child, url, output: () => out };
}

export async function stopProcess(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill(signal);
  const timer = setTimeout(() => child.kill('SIGKILL'), 10000);
  await exited;
  clearTimeout(timer);
}
