/**
 * Quotas through the stock `openstack` CLI (python-openstackclient): `quota show` (Nova's and
 * Neutron's quotas side by side), `quota show --default`, `quota set --class`, `limits show
 * --absolute`, and a `server create` refused over quota with Nova's message, then accepted again
 * once a server is deleted. Stratus runs as a user starts it (`stratus serve`).
 *
 * `openstack quota set <project>` and `quota list` look the project up in Keystone
 * (GET /v3/projects), which Stratus does not serve yet; the class `default` sets the limit here.
 *
 * Skipped when /usr/bin/openstack is absent, except under CI, where that is a failure.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const execFileP = promisify(execFile);
const OPENSTACK = '/usr/bin/openstack';
const STRATUS_BIN = fileURLToPath(new URL('../../src/bin/stratus.js', import.meta.url));
const TIMEOUT = 600_000;
const BOOT = ['--flavor', 'm1.tiny', '--image', 'cirros-0.6.2-x86_64-disk', '--network', 'private'];

const missing = !existsSync(OPENSTACK);
if (missing && process.env.CI)
  throw new Error(`${OPENSTACK} is required under CI (apt-get install python3-openstackclient)`);
const skip: string | false = missing ? `${OPENSTACK} is not installed` : false;

let child: ChildProcess | undefined;
let exited: Promise<void> | undefined;
let output = '';
let dataDir = '';
let env: NodeJS.ProcessEnv = {};

async function osc(cloud: string, args: string[]) {
  try {
    const { stdout, stderr } = await execFileP(OPENSTACK, ['--os-cloud', cloud, ...args], {
      env,
      cwd: dataDir,
      timeout: 180_000,
      killSignal: 'SIGKILL',
    });
    return { code: 0, stdout: String(stdout), stderr: String(stderr) };
  } catch (err) {
    const e = err as { code?: number | string; stdout?: string; stderr?: string };
    if (typeof e.code === 'string') throw err;
    return { code: e.code ?? -1, stdout: String(e.stdout ?? ''), stderr: String(e.stderr ?? '') };
  }
}
async function json(cloud: string, args: string[]) {
  const r = await osc(cloud, [...args, '-f', 'json']);
  assert.equal(r.code, 0, `openstack ${args.join(' ')}: ${r.stderr}\n${output.slice(-2000)}`);
  return JSON.parse(r.stdout);
}

before(async () => {
  if (skip) return;
  dataDir = mkdtempSync(join(tmpdir(), 'stratus-quotas-'));
  const c = spawn(process.execPath, [STRATUS_BIN, 'serve', '--port', '0', '--data', dataDir], {
    env: { ...process.env, STRATUS_LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child = c;
  exited = new Promise((r) => c.once('exit', () => r()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`Stratus did not start:\n${output}`)), 30_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (/Stratus is up at/.test(output)) {
        clearTimeout(timer);
        resolve();
      }
    };
    c.stdout!.on('data', onData);
    c.stderr!.on('data', onData);
    c.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`Stratus exited (${code}):\n${output}`));
    });
  });
  const cloudsYaml = join(dataDir, 'clouds.yaml');
  for (let i = 0; i < 50 && !existsSync(cloudsYaml); i++) await new Promise((r) => setTimeout(r, 100));
  env = {};
  for (const [k, v] of Object.entries(process.env))
    if (!k.startsWith('OS_') && !k.startsWith('PYTHON') && !k.startsWith('PYENV')) env[k] = v;
  Object.assign(env, {
    HOME: dataDir,
    XDG_CONFIG_HOME: join(dataDir, '.config'),
    XDG_CACHE_HOME: join(dataDir, '.cache'),
    OS_CLIENT_CONFIG_FILE: cloudsYaml,
    PYTHONDONTWRITEBYTECODE: '1',
    LC_ALL: 'C.UTF-8',
  });
});

after(async () => {
  if (child && child.exitCode === null) {
    child.kill('SIGTERM');
    await exited;
  }
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

test('quota show lists Nova and Neutron quotas, unlimited in the demo cloud', { skip, timeout: TIMEOUT }, async () => {
  const q = await json('stratus-demo', ['quota', 'show']);
  for (const k of [
    'instances',
    'cores',
    'ram',
    'key-pairs',
    'server-groups',
    'networks',
    'ports',
    'subnets',
    'routers',
  ])
    assert.equal(q[k], -1, `${k} in ${JSON.stringify(q)}`);
  assert.equal(q.project_name, 'demo');
});

test('an admin sets the default instances limit; the demo project is held to it', {
  skip,
  timeout: TIMEOUT,
}, async () => {
  const set = await osc('stratus-admin', ['quota', 'set', '--class', '--instances', '1', 'default']);
  assert.equal(set.code, 0, set.stderr);
  assert.equal((await json('stratus-demo', ['quota', 'show', '--default'])).instances, 1);
  const first = await json('stratus-demo', ['server', 'create', ...BOOT, '--wait', 'q1']);
  assert.equal(first.status, 'ACTIVE');
  const over = await osc('stratus-demo', ['server', 'create', ...BOOT, 'q2']);
  assert.notEqual(over.code, 0);
  assert.match(
    over.stderr,
    /Quota exceeded for instances: Requested 1, but already used 1 of 1 instances \(HTTP 403\)/,
  );
  const limits = await json('stratus-demo', ['limits', 'show', '--absolute']);
  const value = (name: string) => limits.find((l: { Name: string }) => l.Name === name)?.Value;
  assert.equal(value('maxTotalInstances'), 1);
  assert.equal(value('totalInstancesUsed'), 1);
  // The quota is released when the delete finishes.
  assert.equal((await osc('stratus-demo', ['server', 'delete', '--wait', 'q1'])).code, 0);
  const again = await json('stratus-demo', ['server', 'create', ...BOOT, '--wait', 'q3']);
  assert.equal(again.status, 'ACTIVE');
  assert.equal((await osc('stratus-demo', ['server', 'delete', '--wait', 'q3'])).code, 0);
  assert.equal((await osc('stratus-admin', ['quota', 'set', '--class', '--instances', '-1', 'default'])).code, 0);
});
