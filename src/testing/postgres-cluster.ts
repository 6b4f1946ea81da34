import { execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type AddressInfo } from 'node:net';

/**
 * PostgreSQL's server binaries from Debian's package, if installed. In CI their absence fails
 * the run: the suites that need them must not be skipped silently there.
 */
export function postgresBin(): string | null {
  const bin = findPostgresBin();
  if (!bin && process.env.CI)
    throw new Error('CI must run the PostgreSQL suites: install PostgreSQL or set STRATUS_TEST_PG_BIN');
  return bin;
}

function findPostgresBin(): string | null {
  if (process.env.STRATUS_TEST_PG_BIN && existsSync(join(process.env.STRATUS_TEST_PG_BIN, 'pg_ctl')))
    return process.env.STRATUS_TEST_PG_BIN;
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return null;
  const versions = readdirSync(root).sort((a, b) => Number(b) - Number(a));
  for (const v of versions) if (existsSync(join(root, v, 'bin', 'pg_ctl'))) return join(root, v, 'bin');
  return null;
}

/**
 * A private PostgreSQL cluster on 127.0.0.1 that a test may stop and start (outage drills)
 * without disturbing the shared one. Runs as the `postgres` user when we are root.
 */
export class PostgresCluster {
  readonly dir: string;
  constructor(
    readonly bin: string,
    readonly port: number,
    /** Extra server settings, `name=value` (the benchmark loads pg_stat_statements). */
    readonly settings: string[] = [],
  ) {
    this.dir = mkdtempSync(join(tmpdir(), 'stratus-pg-'));
    if (process.getuid?.() === 0) chownSync(this.dir, uid('postgres'), gid('postgres'));
  }
  get url(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/postgres`;
  }

  private run(args: string[]): void {
    const cmd = [join(this.bin, args[0]), ...args.slice(1)];
    if (process.getuid?.() === 0)
      execFileSync('su', ['postgres', '-c', cmd.map(shellQuote).join(' ')], { stdio: 'ignore', timeout: 60000 });
    else execFileSync(cmd[0], cmd.slice(1), { stdio: 'ignore', timeout: 60000 });
  }
  init(): void {
    this.run(['initdb', '-D', this.dir, '-A', 'trust', '-U', 'postgres']);
  }
  start(): void {
    this.run([
      'pg_ctl',
      '-D',
      this.dir,
      '-o',
      `-c listen_addresses=127.0.0.1 -p ${this.port} -c unix_socket_directories=${this.dir} -c fsync=off${this.settings.map((x) => ` -c ${x}`).join('')}`,
      '-l',
      join(this.dir, 'log'),
      '-w',
      'start',
    ]);
  }
  stop(): void {
    this.run(['pg_ctl', '-D', this.dir, '-m', 'immediate', '-w', 'stop']);
  }
  destroy(): void {
    try {
      this.stop();
    } catch {
      /* already stopped */
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

const shellQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
const uid = (user: string) => Number(execFileSync('id', ['-u', user]).toString().trim());
const gid = (user: string) => Number(execFileSync('id', ['-g', user]).toString().trim());

/**
 * A loopback TCP port nothing listens on now (the kernel's pick), for a private cluster: a
 * random port in a fixed range could be taken by a parallel test file or another suite.
 */
export async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve, reject) => {
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (srv.address() as AddressInfo).port;
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return port;
}
