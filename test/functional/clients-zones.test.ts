/**
 * Functional test of availability zones and host aggregates with the stock openstack CLI
 * (/usr/bin/openstack), against `stratus serve --zone az-cli --name cli-node`: `availability zone
 * list` (compute zones; the network zone through Neutron's availability_zone extension; Cinder
 * is not in the catalog and is skipped by the client), `--long` as admin (hosts and services),
 * the fallback to the summary for a member, the aggregate commands, and a server created in the
 * zone an aggregate gives the node.
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

const NODE = 'cli-node';
const ZONE = 'az-cli';
const FLAVOR = 'm1.tiny';
const IMAGE = 'cirros-0.6.2-x86_64-disk';
const NETWORK = 'private';

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
  dataDir = mkdtempSync(join(tmpdir(), 'stratus-clients-zones-'));
  const child = spawn(
    process.execPath,
    [STRATUS_BIN, 'serve', '--port', '0', '--data', dataDir, '--name', NODE, '--zone', ZONE],
    {
      env: { ...process.env, STRATUS_LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
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
// The tests run in order and share the aggregate.

test('availability zone list: the --zone of the node and the network zone', {
  skip,
  timeout: TEST_TIMEOUT_MS,
}, async () => {
  for (const cloud of ['stratus-admin', 'stratus-demo']) {
    const zones = await oscJson<Array<Record<string, string>>>(cloud, ['availability', 'zone', 'list']);
    assert.deepEqual(
      zones,
      [
        { 'Zone Name': ZONE, 'Zone Status': 'available' },
        { 'Zone Name': 'nova', 'Zone Status': 'available' },
      ],
      cloud,
    );
  }
  const compute = await oscJson<Array<Record<string, string>>>('stratus-admin', [
    'availability',
    'zone',
    'list',
    '--compute',
    '--long',
  ]);
  assert.equal(compute.length, 1, JSON.stringify(compute));
  assert.equal(compute[0]['Zone Name'], ZONE);
  assert.equal(compute[0]['Host Name'], NODE);
  assert.equal(compute[0]['Service Name'], 'nova-compute');
  assert.match(compute[0]['Service Status'], /^enabled :-\) \d{4}-/);
  const network = await oscJson<Array<Record<string, string>>>('stratus-demo', [
    'availability',
    'zone',
    'list',
    '--network',
    '--long',
  ]);
  assert.deepEqual(
    network.map((z) => [z['Zone Name'], z['Zone Resource']]),
    [['nova', 'network']],
  );
});

test('aggregate create, add host, set property, show, list; the node moves to its zone', {
  skip,
  timeout: TEST_TIMEOUT_MS,
}, async () => {
  const created = await oscJson('stratus-admin', ['aggregate', 'create', '--zone', 'az-agg', 'agg-cli']);
  assert.equal(created.name, 'agg-cli');
  assert.equal(created.availability_zone, 'az-agg');
  await oscJson('stratus-admin', ['aggregate', 'add', 'host', 'agg-cli', NODE]);
  await oscOk('stratus-admin', ['aggregate', 'set', '--property', 'ssd=true', 'agg-cli']);
  const shown = await oscJson('stratus-admin', ['aggregate', 'show', 'agg-cli']);
  assert.deepEqual(shown.hosts, [NODE], JSON.stringify(shown));
  assert.equal(shown.availability_zone, 'az-agg');
  assert.equal(JSON.stringify(shown.properties).includes('ssd'), true, JSON.stringify(shown));
  const list = await oscJson<Array<Record<string, unknown>>>('stratus-admin', ['aggregate', 'list']);
  assert.ok(
    list.some((a) => a.Name === 'agg-cli'),
    JSON.stringify(list),
  );
  const zones = await oscJson<Array<Record<string, string>>>('stratus-demo', [
    'availability',
    'zone',
    'list',
    '--compute',
  ]);
  assert.deepEqual(zones, [{ 'Zone Name': 'az-agg', 'Zone Status': 'available' }]);
  const refused = await osc('stratus-demo', ['aggregate', 'list']);
  assert.notEqual(refused.code, 0, describe(refused));
  assert.match(refused.stderr, /os_compute_api:os-aggregates:index/);
});

test('server create --availability-zone: an unknown zone is refused, the aggregate zone is used', {
  skip,
  timeout: TEST_TIMEOUT_MS,
}, async () => {
  const refused = await osc('stratus-demo', [
    'server',
    'create',
    '--flavor',
    FLAVOR,
    '--image',
    IMAGE,
    '--network',
    NETWORK,
    '--availability-zone',
    'nowhere',
    'z0',
  ]);
  assert.notEqual(refused.code, 0, describe(refused));
  assert.match(refused.stderr, /The requested availability zone is not available/);
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
      '--availability-zone',
      'az-agg',
      '--wait',
      'z1',
    ],
    WAIT_TIMEOUT_MS,
  );
  assert.equal(created.status, 'ACTIVE');
  assert.equal(created['OS-EXT-AZ:availability_zone'], 'az-agg', JSON.stringify(created));
  await oscOk('stratus-demo', ['server', 'delete', '--wait', created.id], WAIT_TIMEOUT_MS);
});

test('aggregate remove host, unset, delete', { skip, timeout: TEST_TIMEOUT_MS }, async () => {
  const full = await osc('stratus-admin', ['aggregate', 'delete', 'agg-cli']);
  assert.notEqual(full.code, 0, describe(full));
  await oscJson('stratus-admin', ['aggregate', 'remove', 'host', 'agg-cli', NODE]);
  await oscOk('stratus-admin', ['aggregate', 'unset', '--property', 'ssd', 'agg-cli']);
  await oscOk('stratus-admin', ['aggregate', 'delete', 'agg-cli']);
  const list = await oscJson<Array<Record<string, unknown>>>('stratus-admin', ['aggregate', 'list']);
  assert.deepEqual(list, []);
  const zones = await oscJson<Array<Record<string, string>>>('stratus-demo', [
    'availability',
    'zone',
    'list',
    '--compute',
  ]);
  assert.deepEqual(zones, [{ 'Zone Name': ZONE, 'Zone Status': 'available' }]);
});
