/**
 * Server create's wider fields through the stock OpenStack client (python-openstackclient from
 * Debian): `openstack server create` with --file (personality), --config-drive True,
 * --user-data, --hint and --min/--max, `server show` of what was stored, and `server list --ip`.
 *
 * Skipped when /usr/bin/openstack is absent (CI installs the clients).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const execFileP = promisify(execFile);

const OPENSTACK = '/usr/bin/openstack';
const CLIENT_TIMEOUT_MS = 60_000;
const WAIT_TIMEOUT_MS = 180_000; // commands with --wait poll every few seconds
const STARTUP_TIMEOUT_MS = 30_000;
const TEST_TIMEOUT_MS = 600_000;

const FLAVOR = 'm1.tiny';
const IMAGE = 'cirros-0.6.2-x86_64-disk';
const NETWORK = 'private';

/** dist/test/functional/clients.test.js -> dist/src/bin/stratus.js */
const STRATUS_BIN = fileURLToPath(new URL('../../src/bin/stratus.js', import.meta.url));

const skip: string | false =
  !existsSync(OPENSTACK) && !process.env.CI
    ? `${OPENSTACK} is not installed (apt-get install python3-openstackclient)`
    : false;

let server: ChildProcess | undefined;
let serverExited: Promise<void> | undefined;
let serverOutput = '';
let dataDir = '';
let baseUrl = '';
let clientEnv: NodeJS.ProcessEnv = {};

// ---------------------------------------------------------------------------------------------
// Helpers

interface RunResult {
  cmd: string;
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
}

/** Runs a program; never rejects on a non-zero exit (the result says how it ended). */
async function run(file: string, args: string[], timeout = CLIENT_TIMEOUT_MS): Promise<RunResult> {
  const cmd = [file, ...args].map((a) => (/[\s'"]/.test(a) ? JSON.stringify(a) : a)).join(' ');
  try {
    const { stdout, stderr } = await execFileP(file, args, {
      env: clientEnv,
      timeout,
      killSignal: 'SIGKILL',
      maxBuffer: 32 * 1024 * 1024,
      cwd: dataDir,
    });
    return { cmd, code: 0, signal: null, stdout: String(stdout), stderr: String(stderr) };
  } catch (err) {
    const e = err as NodeJS.ErrnoException & {
      code?: number | string;
      signal?: string | null;
      killed?: boolean;
      stdout?: string;
      stderr?: string;
    };
    if (typeof e.code === 'string') throw err; // spawn failure (ENOENT, ...), not an exit status
    const timedOut = e.killed ? `\n[killed after ${timeout} ms timeout]` : '';
    return {
      cmd,
      code: typeof e.code === 'number' ? e.code : null,
      signal: e.signal ?? null,
      stdout: String(e.stdout ?? ''),
      stderr: String(e.stderr ?? '') + timedOut,
    };
  }
}

function describe(r: RunResult): string {
  return (
    `${r.cmd}\n  exit: ${r.code ?? r.signal}\n  stdout: ${r.stdout.trim()}\n  stderr: ${r.stderr.trim()}` +
    `\n  stratus output (tail): ${serverOutput.slice(-2000).trim()}`
  );
}

function osc(cloud: string, args: string[], timeout = CLIENT_TIMEOUT_MS): Promise<RunResult> {
  return run(OPENSTACK, ['--os-cloud', cloud, ...args], timeout);
}

/** Runs an openstack command that must succeed; returns its stdout. */
async function oscOk(cloud: string, args: string[], timeout = CLIENT_TIMEOUT_MS): Promise<string> {
  const r = await osc(cloud, args, timeout);
  assert.equal(r.code, 0, `command failed:\n${describe(r)}`);
  return r.stdout;
}

/** Runs an openstack command with `-f json` that must succeed; returns the parsed output. */
async function oscJson<T = any>(cloud: string, args: string[], timeout = CLIENT_TIMEOUT_MS): Promise<T> {
  const r = await osc(cloud, [...args, '-f', 'json'], timeout);
  assert.equal(r.code, 0, `command failed:\n${describe(r)}`);
  try {
    return JSON.parse(r.stdout) as T;
  } catch {
    assert.fail(`output is not JSON:\n${describe(r)}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Stratus as a child process

function startStratus(): Promise<string> {
  dataDir = mkdtempSync(join(tmpdir(), 'stratus-clients-create-'));
  const child = spawn(process.execPath, [STRATUS_BIN, 'serve', '--port', '0', '--data', dataDir], {
    env: { ...process.env, STRATUS_LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  server = child;
  serverExited = new Promise((resolve) => child.once('exit', () => resolve()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(
        new Error(
          `Stratus did not report "Stratus is up at" within ${STARTUP_TIMEOUT_MS} ms; output:\n${serverOutput}`,
        ),
      );
    }, STARTUP_TIMEOUT_MS);
    const onData = (chunk: Buffer): void => {
      serverOutput += chunk.toString();
      if (serverOutput.length > 200_000) serverOutput = serverOutput.slice(-100_000);
      const m = /Stratus is up at (http:\/\/127\.0\.0\.1:\d+)/.exec(serverOutput);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`Stratus exited during startup (${code ?? signal}); output:\n${serverOutput}`));
    });
  });
}

async function stopStratus(): Promise<void> {
  const child = server;
  if (child && child.exitCode === null && child.signalCode === null) {
    child.kill('SIGTERM');
    const killed = await Promise.race([
      serverExited!.then(() => true),
      new Promise<boolean>((r) => setTimeout(() => r(false), 10_000).unref()),
    ]);
    if (!killed) {
      child.kill('SIGKILL');
      await serverExited;
    }
  }
  server = undefined;
}

before(async () => {
  if (skip) return;
  baseUrl = await startStratus();
  const cloudsYaml = join(dataDir, 'clouds.yaml');
  for (let i = 0; i < 50 && !existsSync(cloudsYaml); i++) await new Promise((r) => setTimeout(r, 100));
  assert.ok(existsSync(cloudsYaml), `Stratus (${baseUrl}) did not write ${cloudsYaml}`);

  // The clients see only our clouds.yaml: no OS_* from the caller, no user config, no pyenv.
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (k.startsWith('OS_') || k.startsWith('PYTHON') || k.startsWith('PYENV')) continue;
    env[k] = v;
  }
  env.HOME = dataDir;
  env.XDG_CONFIG_HOME = join(dataDir, '.config');
  env.XDG_CACHE_HOME = join(dataDir, '.cache');
  env.OS_CLIENT_CONFIG_FILE = cloudsYaml;
  env.PYTHONDONTWRITEBYTECODE = '1';
  env.LC_ALL = 'C.UTF-8';
  clientEnv = env;
});

after(async () => {
  await stopStratus();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

// ---------------------------------------------------------------------------------------------
// ---------------------------------------------------------------------------------------------
// The tests run in order.

let serverId = '';

test('openstack server create --file --config-drive --user-data --hint: ACTIVE, stored', {
  skip,
  timeout: TEST_TIMEOUT_MS,
}, async () => {
  const motd = join(dataDir, 'motd');
  writeFileSync(motd, 'hello from stratus\n');
  const userData = join(dataDir, 'user-data');
  writeFileSync(userData, '#!/bin/sh\necho hi\n');
  const group = await oscJson('stratus-demo', ['server', 'group', 'create', '--policy', 'anti-affinity', 'c-group']);
  const created = await oscJson(
    'stratus-demo',
    [
      'server',
      'create',
      '--flavor',
      FLAVOR,
      '--image',
      IMAGE,
      '--network',
      NETWORK,
      '--file',
      `/etc/motd=${motd}`,
      '--config-drive',
      'True',
      '--user-data',
      userData,
      '--hint',
      `group=${group.id}`,
      '--wait',
      'c-files',
    ],
    WAIT_TIMEOUT_MS,
  );
  assert.equal(created.status, 'ACTIVE', JSON.stringify(created));
  serverId = created.id;
  const shown = await oscJson('stratus-demo', ['server', 'show', serverId]);
  assert.equal(shown.config_drive, 'True');
});

test('openstack server create --file refused at 2.57 (personality removed)', {
  skip,
  timeout: TEST_TIMEOUT_MS,
}, async () => {
  const f = join(dataDir, 'f');
  writeFileSync(f, 'x');
  const r = await osc('stratus-demo', [
    '--os-compute-api-version',
    '2.57',
    'server',
    'create',
    '--flavor',
    FLAVOR,
    '--image',
    IMAGE,
    '--network',
    NETWORK,
    '--file',
    `/etc/f=${f}`,
    'c-late',
  ]);
  assert.notEqual(r.code, 0, describe(r));
  assert.match(r.stderr, /personality|file/i, describe(r));
});

test('openstack server create --min 2 --max 2: two servers', { skip, timeout: TEST_TIMEOUT_MS }, async () => {
  await oscOk(
    'stratus-demo',
    [
      'server',
      'create',
      '--flavor',
      FLAVOR,
      '--image',
      IMAGE,
      '--network',
      NETWORK,
      '--min',
      '2',
      '--max',
      '2',
      'c-multi',
    ],
    WAIT_TIMEOUT_MS,
  );
  const list = await oscJson<Array<Record<string, string>>>('stratus-demo', ['server', 'list', '--name', 'c-multi']);
  assert.equal(list.length, 2, JSON.stringify(list));
});

test('openstack server list --ip: by fixed address', { skip, timeout: TEST_TIMEOUT_MS }, async () => {
  const shown = await oscJson('stratus-demo', ['server', 'show', serverId]);
  const addresses = JSON.stringify(shown.addresses);
  const ip = /(\d+\.\d+\.\d+\.\d+)/.exec(addresses)?.[1];
  assert.ok(ip, `no address in ${addresses}`);
  const list = await oscJson<Array<Record<string, string>>>('stratus-demo', ['server', 'list', '--ip', `${ip}$`]);
  assert.deepEqual(
    list.map((s) => s.ID),
    [serverId],
  );
  const none = await oscJson<Array<Record<string, string>>>('stratus-demo', ['server', 'list', '--ip', '^203\\.']);
  assert.deepEqual(none, []);
});
