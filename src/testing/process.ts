import { spawn, type ChildProcess } from 'node:child_process';
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
    env: { ...process.env, STRATUS_LOG_LEVEL: 'warn', ...env },
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
    const timer = setTimeout(() => reject(new Error(`stratus did not start in ${timeoutMs} ms:\n${out}`)), timeoutMs);
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
