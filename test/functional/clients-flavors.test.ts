/**
 * Flavors through the stock openstack CLI (python-openstackclient): `openstack flavor create`
 * (public and --private, --property, --description, --id), `flavor list` (--all, --private,
 * --min-ram, --limit/--marker), `flavor show`, `flavor set/unset --property`, `flavor set
 * --description`, `flavor delete`, and a demo project that sees and boots a private flavor only
 * once admin shares it (through openstacksdk: `flavor set --project` needs Keystone's
 * GET /v3/projects/{id}, which Stratus does not serve).
 *
 * Skipped when /usr/bin/openstack is absent (CI installs the clients).
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
  dataDir = mkdtempSync(join(tmpdir(), 'stratus-clients-flavors-'));
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
// The tests run in order.

const IMAGE = 'cirros-0.6.2-x86_64-disk';
const PYTHON = '/usr/bin/python3';
let demoProject = '';

/** os-flavor-access add/remove as admin through openstacksdk; the access list it answers. */
async function sdkAccess(op: 'add' | 'remove', flavorId: string, project: string): Promise<void> {
  const script = [
    'import sys, openstack',
    "c = openstack.connect(cloud='stratus-admin')",
    'op, flavor, project = sys.argv[1:4]',
    "getattr(c.compute, 'flavor_%s_tenant_access' % op)(flavor, project)",
    "print(sorted(a['tenant_id'] for a in c.compute.get_flavor_access(flavor)))",
  ].join('\n');
  const r = await run(PYTHON, ['-c', script, op, flavorId, project]);
  assert.equal(r.code, 0, `sdk failed:\n${describe(r)}`);
  assert.equal(r.stdout.trim(), op === 'add' ? `['${project}']` : '[]');
}

test('openstack flavor create: public and private, with properties and a description', {
  skip,
  timeout: TEST_TIMEOUT_MS,
}, async () => {
  const pub = await oscJson('stratus-admin', [
    '--os-compute-api-version',
    '2.61',
    'flavor',
    'create',
    '--ram',
    '128',
    '--vcpus',
    '1',
    '--disk',
    '1',
    '--swap',
    '16',
    '--property',
    'hw:cpu_policy=shared',
    '--description',
    'a small one',
    'f-pub',
  ]);
  assert.equal(pub.name, 'f-pub');
  assert.match(pub.id, /^[0-9a-f-]{36}$/);
  assert.equal(pub.ram, 128);
  assert.equal(pub.swap, 16);
  assert.equal(pub.description, 'a small one');
  assert.equal(pub['os-flavor-access:is_public'], true);
  const shown = await oscJson('stratus-demo', ['--os-compute-api-version', '2.61', 'flavor', 'show', 'f-pub']);
  assert.deepEqual(shown.properties, { 'hw:cpu_policy': 'shared' });

  const priv = await oscJson('stratus-admin', [
    'flavor',
    'create',
    '--id',
    'f-priv-id',
    '--ram',
    '64',
    '--vcpus',
    '1',
    '--disk',
    '0',
    '--private',
    'f-priv',
  ]);
  assert.equal(priv.id, 'f-priv-id');
  assert.equal(priv['os-flavor-access:is_public'], false);
  const dup = await osc('stratus-admin', ['flavor', 'create', '--ram', '64', '--vcpus', '1', '--disk', '0', 'f-priv']);
  assert.notEqual(dup.code, 0);
  assert.match(dup.stderr, /Flavor with name f-priv already exists\./);
  const denied = await osc('stratus-demo', ['flavor', 'create', '--ram', '64', '--vcpus', '1', '--disk', '0', 'f-x']);
  assert.notEqual(denied.code, 0);
  assert.match(denied.stderr, /os_compute_api:os-flavor-manage:create/);
});

test('openstack flavor list: --all, --private, --min-ram, --limit/--marker', {
  skip,
  timeout: TEST_TIMEOUT_MS,
}, async () => {
  const names = async (cloud: string, args: string[]) =>
    (await oscJson<Array<{ Name: string }>>(cloud, ['flavor', 'list', ...args])).map((f) => f.Name);
  const demo = await names('stratus-demo', []);
  assert.ok(demo.includes('f-pub') && demo.includes('m1.tiny'));
  assert.ok(!demo.includes('f-priv'));
  assert.ok((await names('stratus-admin', ['--all'])).includes('f-priv'));
  assert.deepEqual(await names('stratus-admin', ['--private']), ['f-priv']);
  assert.deepEqual(await names('stratus-demo', ['--min-ram', '8192']), ['m1.large', 'm1.xlarge']);
  const page = await oscJson<Array<{ ID: string }>>('stratus-demo', [
    'flavor',
    'list',
    '--limit',
    '2',
    '--marker',
    '1',
  ]);
  assert.deepEqual(
    page.map((f) => f.ID),
    ['2', '3'],
  );
});

test('flavor access (openstacksdk) shares a private flavor; the demo project sees it and boots with it', {
  skip,
  timeout: TEST_TIMEOUT_MS,
}, async () => {
  const before = await osc('stratus-demo', ['flavor', 'show', 'f-priv-id']);
  assert.notEqual(before.code, 0);
  assert.match(before.stderr, /f-priv-id/);
  demoProject = (await oscJson('stratus-demo', ['token', 'issue'])).project_id;
  // `openstack flavor set --project` first looks the project up with Keystone's
  // GET /v3/projects/{id}, which Stratus does not serve: the grant goes through openstacksdk.
  await sdkAccess('add', 'f-priv-id', demoProject);
  const shown = await oscJson('stratus-admin', ['flavor', 'show', 'f-priv']);
  assert.match(String(shown.access_project_ids), new RegExp(demoProject), 'flavor show lists the access');
  assert.equal((await oscJson('stratus-demo', ['flavor', 'show', 'f-priv-id'])).name, 'f-priv');
  const server = await oscJson(
    'stratus-demo',
    ['server', 'create', '--flavor', 'f-priv-id', '--image', IMAGE, '--network', 'private', '--wait', 'priv-vm'],
    WAIT_TIMEOUT_MS,
  );
  assert.equal(server.status, 'ACTIVE');
  await oscOk('stratus-demo', ['server', 'delete', '--wait', 'priv-vm'], WAIT_TIMEOUT_MS);
  await sdkAccess('remove', 'f-priv-id', demoProject);
  assert.notEqual((await osc('stratus-demo', ['flavor', 'show', 'f-priv-id'])).code, 0);
});

test('openstack flavor set/unset --property and --description; flavor delete', {
  skip,
  timeout: TEST_TIMEOUT_MS,
}, async () => {
  await oscOk('stratus-admin', ['flavor', 'set', '--property', 'hw:mem_page_size=large', '--property', 'a=b', 'f-pub']);
  await oscOk('stratus-admin', ['flavor', 'unset', '--property', 'a', 'f-pub']);
  await oscOk('stratus-admin', [
    '--os-compute-api-version',
    '2.55',
    'flavor',
    'set',
    '--description',
    'changed',
    'f-pub',
  ]);
  const shown = await oscJson('stratus-admin', ['--os-compute-api-version', '2.61', 'flavor', 'show', 'f-pub']);
  assert.deepEqual(shown.properties, { 'hw:cpu_policy': 'shared', 'hw:mem_page_size': 'large' });
  assert.equal(shown.description, 'changed');
  await oscOk('stratus-admin', ['flavor', 'delete', 'f-pub', 'f-priv']);
  const names = (await oscJson<Array<{ Name: string }>>('stratus-admin', ['flavor', 'list', '--all'])).map(
    (f) => f.Name,
  );
  assert.ok(!names.includes('f-pub') && !names.includes('f-priv'));
  const gone = await osc('stratus-admin', ['flavor', 'show', 'f-pub']);
  assert.notEqual(gone.code, 0);
});
