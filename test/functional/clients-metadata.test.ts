/**
 * Server metadata and tags through the stock openstack CLI (python-openstackclient): server
 * create --property/--tag (2.52), server set/unset --property and --tag (2.26), server show,
 * server list --tags/--not-tags, and the refusals a user sees (another project, a bad tag, a
 * missing key), against a spawned `stratus serve`.
 *
 * Skipped when /usr/bin/openstack is absent, except under CI.
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

const FLAVOR = 'm1.tiny';
const IMAGE = 'cirros-0.6.2-x86_64-disk';
const NETWORK = 'private';

/** dist/test/functional/clients-metadata.test.js -> dist/src/bin/stratus.js */
const STRATUS_BIN = fileURLToPath(new URL('../../src/bin/stratus.js', import.meta.url));

// Skipped without the client, except in CI, which must run it.
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
  dataDir = mkdtempSync(join(tmpdir(), 'stratus-clients-md-'));
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
// The tests run in order and share md1.

let md1 = '';
const v226 = ['--os-compute-api-version', '2.26'];

test('server create --property --tag (2.52) shows both', { skip, timeout: TEST_TIMEOUT_MS }, async () => {
  const created = await oscJson(
    'stratus-demo',
    [
      '--os-compute-api-version',
      '2.52',
      'server',
      'create',
      '--flavor',
      FLAVOR,
      '--image',
      IMAGE,
      '--network',
      NETWORK,
      '--property',
      'k1=v1',
      '--property',
      'k2=v2',
      '--tag',
      't2',
      '--tag',
      't1',
      '--wait',
      'md1',
    ],
    WAIT_TIMEOUT_MS,
  );
  md1 = created.id;
  assert.equal(created.status, 'ACTIVE', JSON.stringify(created));
  assert.deepEqual(created.properties, { k1: 'v1', k2: 'v2' });
  assert.deepEqual(created.tags, ['t1', 't2']);
});

test('server set/unset --property and --tag, then server show', { skip, timeout: TEST_TIMEOUT_MS }, async () => {
  await oscOk('stratus-demo', ['server', 'set', '--property', 'k3=v3', '--property', 'k2=changed', md1]);
  await oscOk('stratus-demo', ['server', 'unset', '--property', 'k1', md1]);
  await oscOk('stratus-demo', [...v226, 'server', 'set', '--tag', 't3', md1]);
  await oscOk('stratus-demo', [...v226, 'server', 'unset', '--tag', 't1', md1]);
  const shown = await oscJson('stratus-demo', [...v226, 'server', 'show', md1]);
  assert.deepEqual(shown.properties, { k2: 'changed', k3: 'v3' });
  assert.deepEqual(shown.tags, ['t2', 't3']);
});

test('server list --tags and --not-tags (2.26)', { skip, timeout: TEST_TIMEOUT_MS }, async () => {
  const names = async (args: string[]) =>
    (await oscJson<Array<{ Name: string }>>('stratus-demo', [...v226, 'server', 'list', ...args, '-c', 'Name'])).map(
      (s) => s.Name,
    );
  assert.deepEqual(await names(['--tags', 't2,t3']), ['md1']);
  assert.deepEqual(await names(['--tags', 't1']), []);
  assert.deepEqual(await names(['--not-tags', 't2']), []);
  assert.deepEqual(await names(['--not-tags', 'zz']), ['md1']);
});

test('refusals: a bad tag (400), a missing key (404), another project (not found)', {
  skip,
  timeout: TEST_TIMEOUT_MS,
}, async () => {
  const bad = await osc('stratus-demo', [...v226, 'server', 'set', '--tag', 'a,b', md1]);
  assert.notEqual(bad.code, 0, describe(bad));
  assert.match(
    bad.stderr,
    /Tag 'a,b' is invalid\. It must be a non empty string without characters '\/' and ','.*\(HTTP 400\)/,
  );
  const missing = await osc('stratus-demo', ['server', 'unset', '--property', 'nope', md1]);
  assert.notEqual(missing.code, 0, describe(missing));
  assert.match(missing.stderr, /Metadata item was not found \(HTTP 404\)/);
  const other = await osc('stratus-alt', ['server', 'set', '--property', 'a=b', md1]);
  assert.notEqual(other.code, 0, describe(other));
  assert.match(other.stderr, /No server with a name or ID of/);
  const shown = await oscJson('stratus-demo', [...v226, 'server', 'show', md1]);
  assert.deepEqual(shown.properties, { k2: 'changed', k3: 'v3' });
  assert.deepEqual(shown.tags, ['t2', 't3']);
});

test('server delete (demo)', { skip, timeout: TEST_TIMEOUT_MS }, async () => {
  await oscOk('stratus-demo', ['server', 'delete', '--wait', md1], WAIT_TIMEOUT_MS);
});
