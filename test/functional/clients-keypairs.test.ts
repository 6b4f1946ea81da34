/**
 * os-keypairs through the stock OpenStack clients (python-openstackclient and openstacksdk from
 * Debian): `openstack keypair create` (generated, with --private-key, and imported with
 * --public-key), list, show, delete, `openstack server create --key-name`, and the same through
 * openstacksdk. Keypairs are a user's: alt_demo sees none of demo's. Fingerprints are checked
 * against an MD5 computed here, and the saved private key must be the half of the public one.
 *
 * Skipped when /usr/bin/openstack is absent (CI installs the clients).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createHash, createPublicKey, generateKeyPairSync } from 'node:crypto';

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

const skip: string | false =
  !existsSync(OPENSTACK) && !process.env.CI
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

// ---------------------------------------------------------------------------------------------
// Stratus as a child process

function startStratus(): Promise<string> {
  dataDir = mkdtempSync(join(tmpdir(), 'stratus-clients-keypairs-'));
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

const md5Fingerprint = (pub: string) =>
  createHash('md5')
    .update(Buffer.from(pub.split(' ')[1], 'base64'))
    .digest('hex')
    .replace(/(..)(?!$)/g, '$1:');

/** An OpenSSH ed25519 public key line, made with node:crypto. */
function ed25519Line(comment: string): string {
  const { publicKey } = generateKeyPairSync('ed25519');
  const raw = Buffer.from(publicKey.export({ format: 'jwk' }).x!, 'base64url');
  const str = (b: Buffer) => Buffer.concat([Buffer.from([0, 0, 0, b.length]), b]);
  return `ssh-ed25519 ${Buffer.concat([str(Buffer.from('ssh-ed25519')), str(raw)]).toString('base64')} ${comment}`;
}

let generatedFingerprint = '';
let importedLine = '';

test('openstack keypair create: a generated key saved with --private-key', {
  skip,
  timeout: TEST_TIMEOUT_MS,
}, async () => {
  const pem = join(dataDir, 'k-gen.pem');
  const created = await oscJson('stratus-demo', ['keypair', 'create', '--private-key', pem, 'k-gen']);
  assert.equal(created.name, 'k-gen');
  assert.equal(created.type, 'ssh');
  assert.match(created.fingerprint, /^([0-9a-f]{2}:){15}[0-9a-f]{2}$/);
  generatedFingerprint = created.fingerprint;
  const privateKey = readFileSync(pem, 'utf8');
  assert.match(privateKey, /^-----BEGIN RSA PRIVATE KEY-----\n/);
  // The saved private key is the half of the public key Stratus keeps.
  const pub = await oscOk('stratus-demo', ['keypair', 'show', '--public-key', 'k-gen']);
  const n = Buffer.from(createPublicKey(privateKey).export({ format: 'jwk' }).n!, 'base64url');
  assert.ok(Buffer.from(pub.trim().split(' ')[1], 'base64').includes(n), `public key ${pub}`);
  assert.equal(md5Fingerprint(pub.trim()), generatedFingerprint);
});

test('openstack keypair create --public-key, list, show', { skip, timeout: TEST_TIMEOUT_MS }, async () => {
  importedLine = ed25519Line('demo@laptop');
  const file = join(dataDir, 'k-imp.pub');
  writeFileSync(file, `${importedLine}\n`);
  const created = await oscJson('stratus-demo', ['keypair', 'create', '--public-key', file, 'k-imp']);
  assert.equal(created.fingerprint, md5Fingerprint(importedLine));

  const list = await oscJson<Array<Record<string, string>>>('stratus-demo', ['keypair', 'list']);
  assert.deepEqual(
    list.map((k) => [k.Name, k.Fingerprint, k.Type]),
    [
      ['k-gen', generatedFingerprint, 'ssh'],
      ['k-imp', md5Fingerprint(importedLine), 'ssh'],
    ],
  );
  const shown = await oscJson('stratus-demo', ['keypair', 'show', 'k-imp']);
  assert.equal(shown.name, 'k-imp');
  assert.equal(shown.fingerprint, md5Fingerprint(importedLine));
  assert.equal(shown.type, 'ssh');
  assert.equal(shown.is_deleted, false);
  assert.match(shown.created_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$/);

  // A duplicate name is refused with Nova's message.
  const dup = await osc('stratus-demo', ['keypair', 'create', '--public-key', file, 'k-imp']);
  assert.notEqual(dup.code, 0, describe(dup));
  assert.match(dup.stderr, /Key pair 'k-imp' already exists/, describe(dup));
});

test('keypairs are a user’s: alt_demo sees none of demo’s', { skip, timeout: TEST_TIMEOUT_MS }, async () => {
  assert.deepEqual(await oscJson('stratus-alt', ['keypair', 'list']), []);
  const show = await osc('stratus-alt', ['keypair', 'show', 'k-imp']);
  assert.notEqual(show.code, 0, describe(show));
  const del = await osc('stratus-alt', ['keypair', 'delete', 'k-imp']);
  assert.notEqual(del.code, 0, describe(del));
  assert.match(del.stderr, /Keypair k-imp not found for user/, describe(del));
  assert.equal((await oscJson('stratus-demo', ['keypair', 'show', 'k-imp'])).name, 'k-imp');
});

test('openstack server create --key-name: shown as key_name; an unknown key is refused', {
  skip,
  timeout: TEST_TIMEOUT_MS,
}, async () => {
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
      '--key-name',
      'k-imp',
      '--wait',
      'kp-s1',
    ],
    WAIT_TIMEOUT_MS,
  );
  assert.equal(created.status, 'ACTIVE', JSON.stringify(created));
  assert.equal(created.key_name, 'k-imp');
  assert.equal(
    (await oscOk('stratus-demo', ['server', 'show', 'kp-s1', '-c', 'key_name', '-f', 'value'])).trim(),
    'k-imp',
  );

  const bad = await osc('stratus-demo', [
    'server',
    'create',
    '--flavor',
    FLAVOR,
    '--image',
    IMAGE,
    '--network',
    NETWORK,
    '--key-name',
    'no-such-key',
    'kp-s2',
  ]);
  assert.notEqual(bad.code, 0, describe(bad));
  assert.match(bad.stderr, /Invalid key_name provided\. \(HTTP 400\)/, describe(bad));
  // alt_demo cannot boot with demo's key either.
  const alt = await osc('stratus-alt', [
    'server',
    'create',
    '--flavor',
    FLAVOR,
    '--image',
    IMAGE,
    '--key-name',
    'k-imp',
    '--network',
    'none',
    'kp-s3',
  ]);
  assert.notEqual(alt.code, 0, describe(alt));

  await oscOk('stratus-demo', ['server', 'delete', '--wait', 'kp-s1'], WAIT_TIMEOUT_MS);
});

test('openstack keypair delete: both gone, a second delete fails', { skip, timeout: TEST_TIMEOUT_MS }, async () => {
  await oscOk('stratus-demo', ['keypair', 'delete', 'k-gen', 'k-imp']);
  assert.deepEqual(await oscJson('stratus-demo', ['keypair', 'list']), []);
  const again = await osc('stratus-demo', ['keypair', 'delete', 'k-gen']);
  assert.notEqual(again.code, 0, describe(again));
  assert.match(again.stderr, /Keypair k-gen not found for user/, describe(again));
});

const SDK_SCRIPT = `
import json, sys
import openstack

line = sys.argv[1]
conn = openstack.connect(cloud='stratus-demo')
imported = conn.compute.create_keypair(name='sdk-imp', public_key=line)
generated = conn.compute.create_keypair(name='sdk-gen')
names = sorted(k.name for k in conn.compute.keypairs())
got = conn.compute.get_keypair('sdk-imp')
alt = openstack.connect(cloud='stratus-alt')
alt_missing = alt.compute.find_keypair('sdk-imp', ignore_missing=True) is None
conn.compute.delete_keypair('sdk-imp')
conn.compute.delete_keypair(generated)
after = [k.name for k in conn.compute.keypairs()]
print(json.dumps({'imported_fp': imported.fingerprint, 'got_fp': got.fingerprint, 'got_type': got.type,
                  'generated_private': (generated.private_key or '')[:31], 'names': names,
                  'alt_missing': alt_missing, 'after': after}))
`;

test('openstacksdk: create (imported and generated), list, get, delete', {
  skip: skipSdk,
  timeout: TEST_TIMEOUT_MS,
}, async () => {
  const line = ed25519Line('sdk@host');
  const r = await run(PYTHON, ['-c', SDK_SCRIPT, line], WAIT_TIMEOUT_MS);
  assert.equal(r.code, 0, `openstacksdk script failed:\n${describe(r)}`);
  const lines = r.stdout.trim().split('\n');
  const summary = JSON.parse(lines[lines.length - 1] ?? '{}');
  assert.deepEqual(summary, {
    imported_fp: md5Fingerprint(line),
    got_fp: md5Fingerprint(line),
    got_type: 'ssh',
    generated_private: '-----BEGIN RSA PRIVATE KEY-----',
    names: ['sdk-gen', 'sdk-imp'],
    alt_missing: true,
    after: [],
  });
});
