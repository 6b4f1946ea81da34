/**
 * Functional test with the stock OpenStack clients (python-openstackclient and openstacksdk,
 * installed from Debian as /usr/bin/openstack and /usr/bin/python3).
 *
 * Starts Stratus the way a user does (`stratus serve --port 0 --data <tmp>`), points the
 * clients at the clouds.yaml it writes, and drives the delete-server story through them:
 * create, list, show, lock, a refused delete (409), unlock, an admin delete of a locked
 * server, a member delete, and the same through openstacksdk. After each delete the server
 * must be gone from the list and the port Stratus created for it must be gone too.
 *
 * The whole file is skipped when /usr/bin/openstack is absent (CI installs the clients).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';

const execFileP = promisify(execFile);

const OPENSTACK = '/usr/bin/openstack';
const PYTHON = '/usr/bin/python3';
const CLIENT_TIMEOUT_MS = 60_000;
const WAIT_TIMEOUT_MS = 180_000; // commands with --wait poll every few seconds
const STARTUP_TIMEOUT_MS = 30_000;
const TEST_TIMEOUT_MS = 600_000;

const FLAVOR = 'm1.tiny';
const IMAGE = 'cirros-0.6.2-x86_64-disk';
const NETWORK = 'private';

/** dist/test/functional/clients.test.js -> dist/src/bin/stratus.js */
const STRATUS_BIN = fileURLToPath(new URL('../../src/bin/stratus.js', import.meta.url));

const skip: string | false = !existsSync(OPENSTACK)
  ? `${OPENSTACK} is not installed (apt-get install python3-openstackclient)`
  : false;
const skipSdk: string | false = skip || (!existsSync(PYTHON) ? `${PYTHON} is not installed` : false);

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

async function createServer(cloud: string, name: string): Promise<any> {
  const created = await oscJson(
    cloud,
    ['server', 'create', '--flavor', FLAVOR, '--image', IMAGE, '--network', NETWORK, '--wait', name],
    WAIT_TIMEOUT_MS,
  );
  assert.equal(typeof created.id, 'string', `server create: no id in ${JSON.stringify(created)}`);
  assert.equal(created.name, name);
  assert.equal(created.status, 'ACTIVE', `server create --wait: ${JSON.stringify(created)}`);
  return created;
}

async function listServers(cloud: string): Promise<Array<Record<string, any>>> {
  const list = await oscJson<Array<Record<string, any>>>(cloud, ['server', 'list']);
  assert.ok(Array.isArray(list), `server list: ${JSON.stringify(list)}`);
  return list;
}

async function portsOf(cloud: string, deviceId: string): Promise<Array<Record<string, any>>> {
  const ports = await oscJson<Array<Record<string, any>>>(cloud, ['port', 'list', '--device-id', deviceId]);
  assert.ok(Array.isArray(ports), `port list: ${JSON.stringify(ports)}`);
  return ports;
}

async function assertGone(id: string): Promise<void> {
  const list = await listServers('stratus-demo');
  assert.ok(!list.some((s) => s.ID === id), `deleted server ${id} still listed: ${JSON.stringify(list)}`);
  const ports = await portsOf('stratus-demo', id);
  assert.deepEqual(ports, [], `ports of deleted server ${id} remain: ${JSON.stringify(ports)}`);
  const show = await osc('stratus-demo', ['server', 'show', id, '-f', 'json']);
  assert.notEqual(show.code, 0, `server show of deleted server ${id} succeeded:\n${describe(show)}`);
}

// ---------------------------------------------------------------------------------------------
// Stratus as a child process

function startStratus(): Promise<string> {
  dataDir = mkdtempSync(join(tmpdir(), 'stratus-clients-'));
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
  for (let i = 0; i < 50 && !existsSync(cloudsYaml); i++) await sleep(100);
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
// The tests run in order and share s1.

let s1Id: string | undefined;

test('openstack token issue (demo)', { skip, timeout: TEST_TIMEOUT_MS }, async () => {
  const token = await oscJson('stratus-demo', ['token', 'issue']);
  assert.equal(typeof token.id, 'string');
  assert.ok(token.id.length > 0, `token: ${JSON.stringify(token)}`);
  assert.equal(typeof token.project_id, 'string', `token: ${JSON.stringify(token)}`);
  assert.equal(typeof token.user_id, 'string', `token: ${JSON.stringify(token)}`);
  assert.ok(token.expires, `token: ${JSON.stringify(token)}`);
});

test('server create --wait, list, show, and its port (demo)', { skip, timeout: TEST_TIMEOUT_MS }, async () => {
  const created = await createServer('stratus-demo', 's1');
  s1Id = created.id as string;

  const list = await listServers('stratus-demo');
  const row = list.find((s) => s.ID === s1Id);
  assert.ok(row, `server list does not contain ${s1Id}: ${JSON.stringify(list)}`);
  assert.equal(row.Name, 's1');
  assert.equal(row.Status, 'ACTIVE');

  const shown = await oscJson('stratus-demo', ['server', 'show', s1Id]);
  assert.equal(shown.id, s1Id);
  assert.equal(shown.name, 's1');
  assert.equal(shown.status, 'ACTIVE');

  const ports = await portsOf('stratus-demo', s1Id);
  assert.equal(ports.length, 1, `expected one port on ${s1Id}: ${JSON.stringify(ports)}`);
});

test('a locked server: member delete is 409, admin delete by ID succeeds', {
  skip,
  timeout: TEST_TIMEOUT_MS,
}, async () => {
  assert.ok(s1Id, 's1 was not created by the previous test');
  const id = s1Id;

  await oscOk('stratus-demo', ['server', 'lock', id]);

  const refused = await osc('stratus-demo', ['server', 'delete', id]);
  assert.notEqual(refused.code, 0, `delete of a locked server by its owner succeeded:\n${describe(refused)}`);
  assert.ok(
    refused.stderr.includes(`Instance ${id} is locked (HTTP 409)`),
    `expected "Instance ${id} is locked (HTTP 409)" on stderr:\n${describe(refused)}`,
  );

  // The refused delete changed nothing.
  const still = await oscJson('stratus-demo', ['server', 'show', id]);
  assert.equal(still.id, id);
  assert.equal(still.status, 'ACTIVE');

  await oscOk('stratus-demo', ['server', 'unlock', id]);
  await oscOk('stratus-demo', ['server', 'lock', id]);

  await oscOk('stratus-admin', ['server', 'delete', '--wait', id], WAIT_TIMEOUT_MS);

  await assertGone(id);
});

test('member deletes an unlocked server (by name, --wait)', { skip, timeout: TEST_TIMEOUT_MS }, async () => {
  const created = await createServer('stratus-demo', 's2');
  const id = created.id as string;
  const ports = await portsOf('stratus-demo', id);
  assert.equal(ports.length, 1, `expected one port on ${id}: ${JSON.stringify(ports)}`);

  await oscOk('stratus-demo', ['server', 'delete', '--wait', 's2'], WAIT_TIMEOUT_MS);

  await assertGone(id);
});

const SDK_SCRIPT = `
import json, sys
import openstack

name = sys.argv[1]
conn = openstack.connect(cloud='stratus-demo')
image = conn.image.find_image('${IMAGE}', ignore_missing=False)
flavor = conn.compute.find_flavor('${FLAVOR}', ignore_missing=False)
net = conn.network.find_network('${NETWORK}', ignore_missing=False)
s = conn.compute.create_server(name=name, image_id=image.id, flavor_id=flavor.id,
                               networks=[{'uuid': net.id}])
s = conn.compute.wait_for_server(s, wait=120)
status = s.status
ports_before = [p.id for p in conn.network.ports(device_id=s.id)]
conn.compute.delete_server(s)
conn.compute.wait_for_delete(s, wait=60)
ports_after = [p.id for p in conn.network.ports(device_id=s.id)]
listed = [x.id for x in conn.compute.servers() if x.id == s.id]
gone = conn.compute.find_server(s.id, ignore_missing=True) is None
assert ports_after == [], ports_after
print(json.dumps({'id': s.id, 'name': s.name, 'status': status, 'ports_before': ports_before,
                  'ports_after': ports_after, 'listed_after': listed, 'gone': gone}))
`;

test('openstacksdk: create, wait, delete, wait_for_delete, no ports left', {
  skip: skipSdk,
  timeout: TEST_TIMEOUT_MS,
}, async () => {
  const r = await run(PYTHON, ['-c', SDK_SCRIPT, 's3-sdk'], WAIT_TIMEOUT_MS);
  assert.equal(r.code, 0, `openstacksdk script failed:\n${describe(r)}`);
  const lines = r.stdout.trim().split('\n');
  let summary: any;
  try {
    summary = JSON.parse(lines[lines.length - 1] ?? '');
  } catch {
    assert.fail(`openstacksdk script printed no JSON summary:\n${describe(r)}`);
  }
  assert.equal(typeof summary.id, 'string');
  assert.equal(summary.name, 's3-sdk');
  assert.equal(summary.status, 'ACTIVE');
  assert.equal(summary.ports_before.length, 1, `summary: ${JSON.stringify(summary)}`);
  assert.deepEqual(summary.ports_after, []);
  assert.deepEqual(summary.listed_after, []);
  assert.equal(summary.gone, true);

  // And the CLI agrees.
  await assertGone(summary.id as string);
});
