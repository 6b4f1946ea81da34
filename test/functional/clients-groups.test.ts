/**
 * Functional test of server groups with the stock openstack CLI (/usr/bin/openstack), against
 * `stratus serve --agents 2` (two compute nodes): `server group create/list/show/delete` with
 * each policy, `server create --hint group=<id>` placing an anti-affinity group's members on
 * different nodes, the third member failing with NoValidHost, and a deleted server leaving the
 * group.
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

const NODE = 'cli-sg';
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
  dataDir = mkdtempSync(join(tmpdir(), 'stratus-clients-groups-'));
  const child = spawn(
    process.execPath,
    [STRATUS_BIN, 'serve', '--port', '0', '--data', dataDir, '--name', NODE, '--agents', '2'],
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
// The tests run in order and share the groups.

const groups: Record<string, string> = {};

async function boot(name: string, group: string, wait = true): Promise<Record<string, any>> {
  const args = ['server', 'create', '--flavor', FLAVOR, '--image', IMAGE, '--network', NETWORK];
  args.push('--hint', `group=${group}`, ...(wait ? ['--wait'] : []), name);
  return oscJson('stratus-demo', args, WAIT_TIMEOUT_MS);
}

test('server group create, list, show with each policy', { skip, timeout: TEST_TIMEOUT_MS }, async () => {
  for (const policy of ['anti-affinity', 'affinity', 'soft-anti-affinity', 'soft-affinity']) {
    const g = await oscJson('stratus-demo', ['server', 'group', 'create', '--policy', policy, `sg-${policy}`]);
    assert.equal(g.name, `sg-${policy}`);
    assert.equal(JSON.stringify(g).includes(policy), true, JSON.stringify(g));
    groups[policy] = g.id;
  }
  const list = await oscJson<Array<Record<string, unknown>>>('stratus-demo', ['server', 'group', 'list']);
  assert.deepEqual(
    list.map((g) => g.Name).sort(),
    Object.keys(groups)
      .map((p) => `sg-${p}`)
      .sort(),
  );
  const shown = await oscJson('stratus-demo', ['server', 'group', 'show', groups['anti-affinity']]);
  assert.equal(shown.id, groups['anti-affinity']);
  const all = await oscJson<Array<Record<string, unknown>>>('stratus-admin', [
    'server',
    'group',
    'list',
    '--all-projects',
  ]);
  assert.equal(all.length, 4, JSON.stringify(all));
  const missing = await osc('stratus-demo', ['server', 'group', 'show', '9d1f0fe3-5b1a-4d3c-8a0e-111111111111']);
  assert.notEqual(missing.code, 0, describe(missing));
});

test('server create --hint group: anti-affinity members on two nodes, a third is ERROR', {
  skip,
  timeout: TEST_TIMEOUT_MS,
}, async () => {
  const g = groups['anti-affinity'];
  const a = await boot('sg-a', g);
  const b = await boot('sg-b', g);
  assert.equal(a.status, 'ACTIVE');
  assert.equal(b.status, 'ACTIVE');
  const hostOf = async (id: string) =>
    (await oscJson('stratus-admin', ['server', 'show', id]))['OS-EXT-SRV-ATTR:host'] as string;
  assert.notEqual(await hostOf(a.id), await hostOf(b.id));
  const c = await boot('sg-c', g, false);
  const shown = await oscJson('stratus-demo', ['server', 'show', c.id]);
  assert.equal(shown.status, 'ERROR', JSON.stringify(shown));
  assert.match(JSON.stringify(shown.fault), /No valid host was found/);
  const group = await oscJson('stratus-demo', ['server', 'group', 'show', g]);
  assert.deepEqual([...group.members].sort(), [a.id, b.id, c.id].sort(), JSON.stringify(group));
  await oscOk('stratus-demo', ['server', 'delete', '--wait', a.id, c.id], WAIT_TIMEOUT_MS);
  const after = await oscJson('stratus-demo', ['server', 'group', 'show', g]);
  assert.deepEqual(after.members, [b.id], JSON.stringify(after));
  await oscOk('stratus-demo', ['server', 'delete', '--wait', b.id], WAIT_TIMEOUT_MS);
});

test('server group delete', { skip, timeout: TEST_TIMEOUT_MS }, async () => {
  for (const id of Object.values(groups)) await oscOk('stratus-demo', ['server', 'group', 'delete', id]);
  const list = await oscJson<Array<Record<string, unknown>>>('stratus-demo', ['server', 'group', 'list']);
  assert.deepEqual(list, []);
});
