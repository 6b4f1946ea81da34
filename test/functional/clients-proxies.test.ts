/**
 * Functional test of the 2.1 image proxy with the stock clients: openstacksdk's compute image
 * calls (`conn.compute.images()`, `get_image`, `set_image_metadata`, `get_image_metadata`,
 * `delete_image_metadata`: /v2.1/images and image metadata at 2.1, as novaclient-era code calls
 * them), and a server made with `openstack --os-compute-api-version 2.1 server create --wait`
 * whose /servers/{id}/ips (read through the SDK's session) match `openstack server show`,
 * against `stratus serve`.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
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

const IMAGE = 'cirros-0.6.2-x86_64-disk';
const PYTHON = '/usr/bin/python3';

/** dist/test/functional/clients.test.js -> dist/src/bin/stratus.js */
const STRATUS_BIN = fileURLToPath(new URL('../../src/bin/stratus.js', import.meta.url));

// Skipped without the client, except in CI (which installs it: a missing client there fails).
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
  dataDir = mkdtempSync(join(tmpdir(), 'stratus-clients-proxies-'));
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

/** Runs a Python snippet with the system's openstacksdk against `cloud`; returns its JSON output. */
async function sdk<T = any>(cloud: string, code: string): Promise<T> {
  const script = `import json, openstack\nconn = openstack.connect(cloud=${JSON.stringify(cloud)})\n${code}`;
  const r = await run(PYTHON, ['-c', script]);
  assert.equal(r.code, 0, `sdk failed:\n${describe(r)}`);
  return JSON.parse(r.stdout.trim().split('\n').pop() ?? 'null') as T;
}

test('openstacksdk compute images: list, show; image metadata set, get, delete (2.1 proxy)', {
  skip,
  timeout: TEST_TIMEOUT_MS,
}, async () => {
  const images = await sdk<Array<{ id: string; name: string; status: string }>>(
    'stratus-demo',
    'print(json.dumps([{"id": i.id, "name": i.name, "status": i.status} for i in conn.compute.images()]))',
  );
  const cirros = images.find((i) => i.name === IMAGE);
  assert.ok(cirros, JSON.stringify(images));
  assert.equal(cirros.status, 'ACTIVE');
  const shown = await sdk<{ id: string; min_disk: number }>(
    'stratus-demo',
    `i = conn.compute.get_image(${JSON.stringify(cirros.id)})\nprint(json.dumps({"id": i.id, "min_disk": i.min_disk}))`,
  );
  assert.equal(shown.id, cirros.id);
  // The admin owns the seeded image: the admin's cloud may change its properties.
  const id = JSON.stringify(cirros.id);
  const after = await sdk<Record<string, string>>(
    'stratus-admin',
    [
      `conn.compute.set_image_metadata(${id}, cli_key="cli-value")`,
      `print(json.dumps(conn.compute.get_image_metadata(${id}).metadata))`,
    ].join('\n'),
  );
  assert.equal(after.cli_key, 'cli-value');
  const removed = await sdk<Record<string, string>>(
    'stratus-admin',
    [
      `conn.compute.delete_image_metadata(${id}, ["cli_key"])`,
      `print(json.dumps(conn.compute.get_image_metadata(${id}).metadata))`,
    ].join('\n'),
  );
  assert.equal(removed.cli_key, undefined);
  // A member may not change the admin's image: Nova's 403 reaches the client.
  const denied = await run(PYTHON, [
    '-c',
    `import openstack\nconn = openstack.connect(cloud="stratus-demo")\nconn.compute.set_image_metadata(${id}, k="v")`,
  ]);
  assert.notEqual(denied.code, 0, describe(denied));
  assert.match(denied.stderr, /Not authorized for image/);
});

test('openstack server create, then the server addresses through /servers/{id}/ips', {
  skip,
  timeout: TEST_TIMEOUT_MS,
}, async () => {
  const created = await oscJson<{ id: string }>(
    'stratus-demo',
    [
      '--os-compute-api-version',
      '2.1',
      'server',
      'create',
      '--flavor',
      'm1.tiny',
      '--image',
      IMAGE,
      '--network',
      'private',
      '--wait',
      'cli-ips',
    ],
    WAIT_TIMEOUT_MS,
  );
  const ips = await sdk<Record<string, Array<{ addr: string; version: number }>>>(
    'stratus-demo',
    `r = conn.compute.get(${JSON.stringify(`/servers/${created.id}/ips`)})\nprint(json.dumps(r.json()["addresses"]))`,
  );
  assert.deepEqual(Object.keys(ips), ['private']);
  assert.equal(ips.private[0].version, 4);
  const shown = await oscJson<{ addresses: unknown }>('stratus-demo', ['server', 'show', created.id]);
  assert.match(JSON.stringify(shown.addresses), new RegExp(ips.private[0].addr.replace(/\./g, '\\.')));
  await oscOk('stratus-demo', ['server', 'delete', '--wait', created.id], WAIT_TIMEOUT_MS);
});
